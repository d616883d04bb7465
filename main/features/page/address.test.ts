// Addresses are judged where messages enter (issue 12): a MESSAGE whose From cannot be kept and shown (no user part, a
// user part over 128 characters) is refused with 400 before anything is stored; a good one is taken.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipUserAgent } from '../../net/sip/ua';
import type { IncomingSipRequest } from '../../net/sip/incoming';
import { PageMessagingService } from './page-messaging';

function fakeUa(): { ua: SipUserAgent; deliver: (req: IncomingSipRequest) => void } {
  let handler: ((req: IncomingSipRequest) => void) | null = null;
  const ua = {
    account: { aor: 'sip:alice@parley.test' },
    setMessageHandler: (h: typeof handler) => (handler = h),
    reportError: (e: Error) => assert.fail(e),
  } as unknown as SipUserAgent;
  return { ua, deliver: (req) => handler!(req) };
}

function request(from: string): IncomingSipRequest & { answers: [number, string | undefined][] } {
  const answers: [number, string | undefined][] = [];
  return {
    method: 'MESSAGE',
    requestUri: 'sip:alice@parley.test',
    from,
    fromDisplayName: null,
    to: 'sip:alice@parley.test',
    callId: 'c1',
    header: (n: string) => (n.toLowerCase() === 'content-type' ? 'text/plain' : undefined),
    headerAll: () => [],
    body: Buffer.from('hello'),
    bodyText: 'hello',
    transport: null,
    receivedAt: new Date(),
    get replied() {
      return answers.length > 0;
    },
    reply: (code: number, reason?: string) => void answers.push([code, reason]),
    raw: null as never,
    answers,
  };
}

test('a MESSAGE from an address without a user part or with one over 128 characters is refused with 400', async () => {
  const { ua, deliver } = fakeUa();
  const page = new PageMessagingService(ua);
  const got: string[] = [];
  const refused: number[] = [];
  page.on('message', (m) => got.push(m.from));
  page.on('rejected', (r) => refused.push(r.code));
  const bad = ['sip:parley.test', `sip:${'u'.repeat(129)}@parley.test`, '<sip:@parley.test>', 'sip:a@b@parley.test'];
  const good = ['sip:bob@parley.test', `<sip:${'u'.repeat(128)}@parley.test;transport=tls>`, 'tel:+4930123'];
  const reqs = [...bad, ...good].map(request);
  for (const r of reqs) deliver(r);
  for (let turn = 0; turn < 100 && !reqs.every((r) => r.replied); turn++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    reqs.map((r) => r.answers[0]?.[0]),
    [400, 400, 400, 400, 200, 200, 200],
  );
  assert.deepEqual(refused, [400, 400, 400, 400]);
  assert.deepEqual(got, good);
});
