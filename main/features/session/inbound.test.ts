import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildChatCpim, serializeCpim } from '../../protocol/formats/cpim';
import { buildImdnCpim } from '../../protocol/formats/imdn';
import { serializeIsComposing } from '../../protocol/formats/is-composing';
import { MSRP_E2E_CONTENT_TYPE } from '../../security/session-cipher';
import { decodeInbound, type Inbound } from './inbound';

const ctx = { peerAor: 'sip:bob@parley.test', localAor: 'sip:alice@parley.test' };
const chat = (from: string, notes = true) =>
  serializeCpim(
    buildChatCpim({
      from,
      to: ['sip:alice@parley.test'],
      messageId: 'm1',
      text: 'hi',
      dateTime: '2026-11-26T14:00:00Z',
      notifications: notes ? ['positive-delivery'] : [],
    }),
  );
const kind = (r: Inbound) => (r.kind === 'refused' ? `refused:${r.error.code}:${r.fatal}` : r.kind);

describe('decodeInbound (plaintext sessions)', () => {
  it('CPIM chat message with IMDN request: message plus a delivery notification to send back', () => {
    const r = decodeInbound(ctx, 'x', 'message/cpim', chat('sip:bob@parley.test'));
    assert.equal(r.kind, 'message');
    if (r.kind !== 'message') return;
    assert.deepEqual(
      [r.message.text, r.message.imdnMessageId, r.message.protected, r.message.sentAt?.toISOString()],
      ['hi', 'm1', false, '2026-11-26T14:00:00.000Z'],
    );
    const reply = new TextDecoder().decode(r.imdnReply!);
    assert.match(reply, /To: <sip:bob@parley.test>/);
    assert.match(reply, /<message-id>m1<\/message-id>/);
    assert.match(reply, /<delivered\/>/);
    const quiet = decodeInbound(ctx, 'x', 'message/cpim', chat('sip:bob@parley.test', false));
    assert.equal(quiet.kind === 'message' && quiet.imdnReply, undefined);
  });

  it('IMDN -> delivery, is-composing (bare or in CPIM) -> typing, bare text -> message', () => {
    const imdn = serializeCpim(
      buildImdnCpim({
        from: 'sip:bob@parley.test',
        to: 'sip:alice@parley.test',
        notification: { kind: 'delivery', status: 'delivered', messageId: 'm9', dateTime: '2026-11-26T14:00:00Z' },
      }),
    );
    const d = decodeInbound(ctx, 'x', 'message/cpim', imdn);
    assert.ok(d.kind === 'delivery' && d.event.imdnMessageId === 'm9' && d.event.status === 'delivered');
    const doc = serializeIsComposing({ state: 'active' });
    const t = decodeInbound(ctx, 'x', 'application/im-iscomposing+xml', doc);
    assert.ok(t.kind === 'typing' && t.event.state === 'active');
    const wrapped = serializeCpim(
      buildChatCpim({
        from: 'sip:bob@parley.test',
        to: ['sip:alice@parley.test'],
        messageId: 'm2',
        content: { contentType: 'application/im-iscomposing+xml', body: doc },
      }),
    );
    assert.equal(kind(decodeInbound(ctx, 'x', 'message/cpim', wrapped)), 'typing');
    const bare = decodeInbound(ctx, 'x', 'text/plain;charset=utf-8', new TextEncoder().encode('plain'));
    assert.ok(bare.kind === 'message' && bare.message.text === 'plain' && bare.message.from === ctx.peerAor);
  });

  it('bad input is refused with typed errors, never thrown', () => {
    assert.match(kind(decodeInbound(ctx, 'x', 'message/cpim', new TextEncoder().encode('not cpim'))), /^refused:CPIM_[A-Z_]+:false$/);
    assert.equal(kind(decodeInbound(ctx, 'x', MSRP_E2E_CONTENT_TYPE, new Uint8Array(40))), 'refused:E2E_NO_SESSION_KEYS:false');
    assert.equal(
      kind(decodeInbound(ctx, 'x', 'application/im-iscomposing+xml', new TextEncoder().encode('<x/>'))),
      'refused:ISCOMPOSING_WRONG_ROOT:false',
    );
    const spoof = decodeInbound({ ...ctx, authenticatedPeer: 'sip:bob@parley.test' }, 'x', 'message/cpim', chat('sip:mallory@parley.test'));
    assert.equal(kind(spoof), 'refused:E2E_SENDER_MISMATCH:false');
    for (let i = 0; i < 200; i++) {
      const junk = globalThis.crypto.getRandomValues(new Uint8Array(i * 3));
      const r = decodeInbound(ctx, 'x', i % 2 ? 'message/cpim' : 'application/im-iscomposing+xml', junk);
      assert.equal(r.kind, 'refused');
    }
  });
});
