// Electron main entry: the hardened shell (app/shell.ts) over the real UE (main/ue/ue.ts). The key store is wrapped
// with OS key storage (safeStorage) when it offers real protection, else PARLEY_PASSPHRASE / the profile key file.
import { createUe } from '../main/ue/ue';
import { runShell } from './shell';

runShell(({ dataDir, keyWrapper, log }) => createUe({ profileDir: dataDir, keyWrapper, log }));
