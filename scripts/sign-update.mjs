#!/usr/bin/env node
// Signs update channel files for the app's signed generic feed (app/update-feed.ts; docs/app.md "Updates").
//   node scripts/sign-update.mjs --new-key DIR          writes DIR/update-key.pem (private, 0600) and DIR/update-key.pub.pem
//   node scripts/sign-update.mjs --key KEY.pem FILE...  writes FILE.sig (base64 Ed25519 signature of FILE's bytes)
// Keep the private key off the build machines that do not publish; build the app with
// PARLEY_UPDATE_PUBLIC_KEY=DIR/update-key.pub.pem so it accepts only what this key signed.
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ options: { key: { type: 'string' }, 'new-key': { type: 'string' } }, allowPositionals: true });
if (values['new-key']) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(join(values['new-key'], 'update-key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
    flag: 'wx',
  });
  writeFileSync(join(values['new-key'], 'update-key.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }), { flag: 'wx' });
  console.log(`wrote ${join(values['new-key'], 'update-key.pem')} (keep it secret) and update-key.pub.pem (build it into the app)`);
} else if (values.key && positionals.length > 0) {
  const key = createPrivateKey(readFileSync(values.key));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${values.key} is ${key.asymmetricKeyType}, not an ed25519 key`);
  for (const file of positionals) {
    writeFileSync(`${file}.sig`, `${sign(null, readFileSync(file), key).toString('base64')}\n`);
    console.log(`signed ${file} -> ${file}.sig`);
  }
} else {
  console.error('usage: node scripts/sign-update.mjs --new-key DIR | --key KEY.pem CHANNEL_FILE...');
  process.exit(2);
}
