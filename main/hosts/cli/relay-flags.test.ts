// --relay / --relay-uri / --tls, shared by `parley chat` and `parley send-file`: one declaration, one relay rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from './args';
import { MSRP_FLAGS, defaultRelayUri, relayFromFlags } from './relay-flags';
import { chatCommand } from './commands/chat';
import { sendFileCommand } from './commands/send-file';

test('defaults the relay to the proxy host on port 2855 (2856 msrps for tls/wss proxies)', () => {
  assert.equal(defaultRelayUri('tcp://127.0.0.1:5060'), 'msrp://127.0.0.1:2855;tcp');
  assert.equal(defaultRelayUri('wss://127.0.0.1:5067'), 'msrps://127.0.0.1:2856;tcp');
});

test('no relay without --relay or --relay-uri; --relay-uri wins; an msrps relay is checked against the account CA', () => {
  const ca = join(mkdtempSync(join(tmpdir(), 'parley-relay-flags-')), 'ca.pem');
  writeFileSync(ca, 'PEM');
  const acc = { proxy: 'tls://10.0.0.1:5061', caFile: ca };
  assert.equal(relayFromFlags(parseArgs(['--tls'], MSRP_FLAGS), acc), undefined);
  assert.deepEqual(relayFromFlags(parseArgs(['--relay'], MSRP_FLAGS), acc), { uri: 'msrps://10.0.0.1:2856;tcp', ca: 'PEM' });
  assert.deepEqual(relayFromFlags(parseArgs(['--relay-uri', 'msrp://10.0.0.2:2855;tcp'], MSRP_FLAGS), { proxy: acc.proxy }), {
    uri: 'msrp://10.0.0.2:2855;tcp',
    ca: undefined,
  });
});

test('chat and send-file declare the same MSRP flags', () => {
  for (const cmd of [chatCommand, sendFileCommand]) {
    for (const [name, spec] of Object.entries(MSRP_FLAGS)) assert.deepEqual(cmd.flags[name], spec, `${cmd.name} --${name}`);
  }
});
