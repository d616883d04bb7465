#!/usr/bin/env node
// parley CLI launcher: registers tsx's ESM loader, then runs the TypeScript CLI (main/hosts/cli/index.ts).
import { register } from 'tsx/esm/api';

register();
const { runProcess } = await import(new URL('../main/hosts/cli/index.ts', import.meta.url).href);
await runProcess(process.argv.slice(2));
