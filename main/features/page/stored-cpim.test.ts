// Unit test of the page feature's store-and-forward CPIM sniffing (no lab).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sniffStoredCpim } from './page-messaging';

test('sniffStoredCpim: only a bare text/plain CPIM document with From and To', () => {
  const doc = new TextEncoder().encode('From: <sip:a@x>\r\nTo: <sip:b@x>\r\n\r\nContent-Type: text/plain\r\n\r\nhi');
  assert.equal(sniffStoredCpim('text/plain', doc)?.from?.uri, 'sip:a@x');
  assert.equal(sniffStoredCpim('text/plain;charset=utf-8', doc), undefined);
  assert.equal(sniffStoredCpim('text/plain', new TextEncoder().encode('From: me, hello there')), undefined);
});
