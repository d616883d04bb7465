// Every command answers --help the same way (parseCommandArgs): its usage on stdout, exit 0, nothing else run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS, main } from './index';
import { parseCommandArgs } from './command';

test('every command prints its own usage for --help and exits 0', async () => {
  for (const cmd of COMMANDS) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main([cmd.name, '--help'], { out: (l) => out.push(l), err: (l) => err.push(l) });
    assert.equal(code, 0, cmd.name);
    assert.deepEqual(out, [cmd.usage()], cmd.name);
    assert.deepEqual(err, [], cmd.name);
  }
});

test('parseCommandArgs: parsed flags without --help, undefined (usage printed) with it', () => {
  const cmd = COMMANDS.find((c) => c.name === 'send')!;
  const out: string[] = [];
  const io = { out: (l: string) => out.push(l), err: () => {} };
  assert.deepEqual(parseCommandArgs(cmd, ['bob', 'hi', '--json'], io)?.positionals, ['bob', 'hi']);
  assert.deepEqual(out, []);
  assert.equal(parseCommandArgs(cmd, ['bob', '--help'], io), undefined);
  assert.deepEqual(out, [cmd.usage()]);
});
