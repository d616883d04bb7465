// The INVITE router without a network: priority order, newest-first among equals, 488 when nobody claims, 500 + 'error'
// when a route fails, removal, and the one hook on the UA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipUserAgent } from '../net/sip/ua';
import type { IncomingSipRequest } from '../net/sip/incoming';
import { InviteRouter, ROUTE_PRIORITY, type InviteRoute } from './invite-router';

function fakeUa() {
  const ua = { hook: null as ((r: IncomingSipRequest) => void) | null };
  const setInviteHandler = (h: ((r: IncomingSipRequest) => void) | null) => (ua.hook = h);
  return { ua, asUa: { setInviteHandler } as unknown as SipUserAgent };
}

function invite(headers: Record<string, string> = {}, body = '', from = 'sip:caller@parley.test') {
  const replies: { status: number; reason?: string }[] = [];
  const req = {
    from,
    header: (n: string) => headers[n.toLowerCase()],
    bodyText: body,
    get replied() {
      return replies.length > 0;
    },
    reply: (status: number, reason?: string) => void replies.push({ status, reason }),
  } as unknown as IncomingSipRequest;
  return { req, replies };
}

const route = (name: string, priority: number, claims: (r: IncomingSipRequest) => boolean, seen: string[]): InviteRoute => ({
  name,
  priority,
  claims,
  handle: (r) => {
    seen.push(name);
    r.reply(200);
  },
});

test('routes are asked by priority (sender > content > fallback), whatever the order they were added in', () => {
  const { ua, asUa } = fakeUa();
  const router = new InviteRouter(asUa);
  const seen: string[] = [];
  router.add(route('chat', ROUTE_PRIORITY.fallback, () => true, seen));
  router.add(route('file', ROUTE_PRIORITY.content, (r) => /a=file-selector/.test(r.bodyText), seen));
  router.add(route('focus', ROUTE_PRIORITY.sender, (r) => /isfocus/.test(r.header('contact') ?? ''), seen));
  assert.deepEqual(
    router.routes.map((r) => r.name),
    ['focus', 'file', 'chat'],
  );
  ua.hook!(invite({ contact: '<sip:conf@x>;isfocus' }, 'a=file-selector:name:"x"').req);
  ua.hook!(invite({}, 'a=file-selector:name:"x"').req);
  ua.hook!(invite().req);
  assert.deepEqual(seen, ['focus', 'file', 'chat']);
});

test('among equal priorities the route added last is asked first; a removed route is no longer asked', () => {
  const { ua, asUa } = fakeUa();
  const router = new InviteRouter(asUa);
  const seen: string[] = [];
  router.add(route('first', 5, () => true, seen));
  const remove = router.add(route('second', 5, () => true, seen));
  ua.hook!(invite().req);
  remove();
  ua.hook!(invite().req);
  assert.deepEqual(seen, ['second', 'first']);
});

test('nobody claims: 488; a claim that throws counts as no; a failing handler answers 500 and reports the error', async () => {
  const { ua, asUa } = fakeUa();
  const router = new InviteRouter(asUa);
  const errors: string[] = [];
  router.on('error', (e) => errors.push(e.code));
  router.add({
    name: 'picky',
    priority: 1,
    claims: () => {
      throw new Error('bad header');
    },
    handle: () => {},
  });
  const none = invite();
  ua.hook!(none.req);
  assert.deepEqual(none.replies, [{ status: 488, reason: 'Sessions Not Supported' }]);
  router.add({ name: 'sync', priority: 2, claims: (r) => r.header('x') === 'sync', handle: () => assert.fail('boom') });
  router.add({
    name: 'async',
    priority: 2,
    claims: (r) => r.header('x') === 'async',
    handle: async () => Promise.reject(new Error('later')),
  });
  const a = invite({ x: 'sync' });
  ua.hook!(a.req);
  const b = invite({ x: 'async' });
  ua.hook!(b.req);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([a.replies[0]?.status, b.replies[0]?.status], [500, 500]);
  assert.deepEqual(errors, ['SIP_HANDLER_FAILED', 'SIP_HANDLER_FAILED']);
});

test('close() takes the hook off the UA', () => {
  const { ua, asUa } = fakeUa();
  const router = new InviteRouter(asUa);
  assert.equal(typeof ua.hook, 'function');
  router.close();
  assert.equal(ua.hook, null);
  assert.deepEqual(router.routes, []);
});

test('an INVITE whose From cannot be kept and shown is answered 400 before any route is asked (issue 12)', () => {
  const { ua, asUa } = fakeUa();
  const router = new InviteRouter(asUa);
  const seen: string[] = [];
  router.add(route('chat', ROUTE_PRIORITY.fallback, () => true, seen));
  for (const from of ['sip:parley.test', `sip:${'u'.repeat(129)}@parley.test`, 'sip:bob\u202E@parley.test']) {
    const { req, replies } = invite({}, '', from);
    ua.hook!(req);
    assert.deepEqual(replies, [{ status: 400, reason: 'Invalid From' }], from);
  }
  assert.deepEqual(seen, []);
  const { req, replies } = invite();
  ua.hook!(req);
  assert.deepEqual([seen, replies.map((r) => r.status)], [['chat'], [200]]);
});
