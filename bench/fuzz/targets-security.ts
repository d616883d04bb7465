// Fuzz targets for what a stranger can make the security core open: page-mode envelopes (binary and base64 SIP body),
// group frames and sender-key distributions, key requests and responses; and the IPC contract's schemas.
import { randomBytes } from 'node:crypto';
import { ParleyError } from '../../main/base/errors';
import { initCrypto } from '../../main/security/sodium';
import { LocalIdentity } from '../../main/security/identity';
import { decodeEnvelopeBody, encodeEnvelopeBody, openEnvelope, sealEnvelope } from '../../main/security/envelope';
import { ReplayCache, type ReplayGuard } from '../../main/security/replay';
import { GroupSession } from '../../main/security/group-keys';
import { createKeyRequest, createKeyResponse, verifyKeyRequest, verifyKeyResponse } from '../../main/security/key-request';
import { dispatchInvoke, type ShellHandlers } from '../../app/ipc/dispatch';
import { eventChannels, invokeChannels, RequestFrame, type UeBackend } from '../../app/ipc/contract';
import { check } from '../../app/ipc/schema';
import type { FuzzTarget } from './engine';

const enc = new TextEncoder();
const dec = new TextDecoder();
const NOW = Date.UTC(2026, 11, 1);

/** The security targets need libsodium and fresh identities: build them once. */
export async function securityTargets(): Promise<FuzzTarget[]> {
  await initCrypto();
  const alice = LocalIdentity.generate('sip:alice@parley.test');
  const bob = LocalIdentity.generate('sip:bob@parley.test');
  const carol = LocalIdentity.generate('sip:carol@parley.test');
  const psk = new Uint8Array(randomBytes(32));
  const cpim = enc.encode('From: <sip:alice@parley.test>\r\nTo: <sip:bob@parley.test>\r\n\r\nContent-Type: text/plain\r\n\r\nhi');
  const seal = (id: string, recipients: Parameters<typeof sealEnvelope>[0]['recipients']) =>
    sealEnvelope({ sender: alice, recipients, messageId: id, dateTime: NOW - 1000, plaintext: cpim });
  const envelopes = (k: string) => [
    seal(`${k}1`, [{ aor: bob.aor, identityKey: bob.publicKey }]),
    seal(`${k}2`, [
      { aor: bob.aor, identityKey: bob.publicKey, psk },
      { aor: carol.aor, identityKey: carol.publicKey },
    ]),
    seal(`${k}3`, [{ aor: bob.aor, psk }]),
  ];
  // A bounded in-memory replay cache, as the account keeps one (persisted): replays are typed refusals.
  const cache = new ReplayCache(undefined, { capacity: 2000, perSender: 200 });
  const replay: ReplayGuard = { checkAndRecord: async (...a) => void cache.checkAndRecord(...a) };
  const envelope: FuzzTarget = {
    name: 'envelope-open',
    fixtures: [...envelopes('bin'), ...envelopes('b64').map((e) => new Uint8Array([0x23, ...enc.encode(encodeEnvelopeBody(e))]))],
    run: async (b) => {
      // '#' first: the base64 SIP body form
      const env = b[0] === 0x23 ? decodeEnvelopeBody(dec.decode(b.subarray(1))) : b;
      return openEnvelope({ envelope: env, me: bob, pinnedSenderKey: b.length % 2 ? alice.publicKey : undefined, psk, replay, now: NOW });
    },
  };

  const conf = 'sip:conf-7@parley.test';
  const sender = new GroupSession({ conferenceId: conf, me: alice.aor });
  const dist = sender.newEpoch();
  const frames = [sender.encrypt(enc.encode('hello group')), sender.encrypt(new Uint8Array(300))];
  const receiver = new GroupSession({ conferenceId: conf, me: bob.aor });
  receiver.acceptDistribution(alice.aor, dist);
  const group: FuzzTarget = {
    name: 'group-frame',
    fixtures: [...frames, new Uint8Array([0x7b, ...dist])],
    run: (b) => (b[0] === 0x7b ? receiver.acceptDistribution(alice.aor, b.subarray(1)) : receiver.decrypt(b)),
  };

  const req = createKeyRequest(alice, bob.aor, NOW);
  const reqInfo = verifyKeyRequest(req.body, { sipFrom: alice.aor, me: bob.aor, now: NOW });
  const resp = createKeyResponse(bob, reqInfo, { psk, now: NOW });
  const keyMessages: FuzzTarget = {
    name: 'key-request+response',
    fixtures: [enc.encode(req.body), enc.encode(resp.body)],
    run: (b) => {
      const body = dec.decode(b);
      if (body.includes('"key-request"')) return verifyKeyRequest(body, { sipFrom: alice.aor, me: bob.aor, now: NOW });
      return verifyKeyResponse(body, { sipFrom: bob.aor, me: alice, pending: req.pending, psk, now: NOW });
    },
  };
  return [envelope, group, keyMessages, ipcTarget()];
}

/** A backend whose every method refuses: the target is the validation around it, not the UE. */
const refusingBackend = new Proxy({} as UeBackend, {
  get: (_t, name) =>
    name === 'then' ? undefined : () => Promise.reject(new ParleyError('FEATURE_UNAVAILABLE', `${String(name)} is not under test`)),
});
const refusingShell = new Proxy({} as ShellHandlers, { get: () => () => Promise.reject(new ParleyError('FEATURE_UNAVAILABLE', 'shell')) });

const invokeNames = Object.keys(invokeChannels) as (keyof typeof invokeChannels)[];
const eventNames = Object.keys(eventChannels) as (keyof typeof eventChannels)[];
const frame = (channel: string, payload: unknown) => enc.encode(JSON.stringify({ id: 1, channel, payload }));

/**
 * IPC: what the web host does with a WebSocket frame (JSON.parse, RequestFrame, dispatchInvoke validating the request),
 * plus the same payload against one response and one event schema (the checks main applies on the way out). A parse
 * failure or a schema refusal is the typed outcome; only a throw from the validators is a finding.
 */
function ipcTarget(): FuzzTarget {
  return {
    name: 'ipc-schemas',
    fixtures: [
      frame('messages.send', { conversationId: '3', text: 'hello', mode: 'page' }),
      frame('account.configure', { aor: 'sip:alice@parley.test', password: 'pw', proxy: 'sips:127.0.0.1:5061;transport=tls' }),
      frame('messages.page', { conversationId: '3', limit: 50, before: 'c1' }),
      frame('conference.create', { participants: ['sip:a@x', 'sip:b@x'], subject: 'team' }),
      frame('security.verify', { conversationId: '1', digits: '1'.repeat(60) }),
      frame('files.send', { conversationId: '1', path: '/tmp/a.txt' }),
      frame('links.open', { url: 'https://example.com/?a=1' }),
      frame('conversations.list', { search: 'x' }),
    ],
    run: async (b) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(dec.decode(b));
      } catch {
        throw new ParleyError('IPC_BAD_FRAME', 'not JSON'); // what the host answers; counted as a typed refusal
      }
      const f = check(RequestFrame, parsed);
      const payload = f.ok ? f.value.payload : parsed;
      const channel = f.ok ? f.value.channel : invokeNames[b.length % invokeNames.length];
      const r = await dispatchInvoke(refusingBackend, refusingShell, channel, payload);
      check(invokeChannels[invokeNames[b.length % invokeNames.length]].response, payload);
      check(eventChannels[eventNames[b.length % eventNames.length]], payload);
      // accepted = the request passed validation and reached the (refusing) backend (FEATURE_UNAVAILABLE)
      if (!f.ok || r.ok || r.error.code !== 'FEATURE_UNAVAILABLE') throw new ParleyError('IPC_BAD_PAYLOAD', 'refused by the contract');
      return r;
    },
  };
}
