// The web host's command line (`npm run start:web` arguments). The host itself against the lab: cli.lab.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostArgs } from './cli';

test('argument parsing', () => {
  const o = parseHostArgs(['--profile', '/tmp/x', '--port', '8123', '--lab', '--verbose']);
  assert.deepEqual([o.profileDir, o.port, o.labUser, o.verbose], ['/tmp/x', 8123, 'alice', true]);
  assert.equal(parseHostArgs(['--lab', 'bob']).labUser, 'bob');
  assert.throws(() => parseHostArgs(['--port', 'x']), /--port/);
  assert.throws(() => parseHostArgs(['--nope']), /unknown option/);
});
