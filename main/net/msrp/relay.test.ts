// RFC 4976 relay client, digest for AUTH (RFC 2617 with HA2 over the relay URI). The sessions through the lab's Kamailio
// relay are in relay.lab.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { digestAuthorization, parseDigestChallenge } from './relay';
import { isParleyError } from '../../base/errors';

describe('digest for AUTH', () => {
  it('matches the RFC 2617 s.3.5 example when the method is GET', () => {
    const ch = parseDigestChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    const v = digestAuthorization(ch, {
      username: 'Mufasa',
      password: 'Circle Of Life',
      uri: '/dir/index.html',
      nc: 1,
      cnonce: '0a4f113b',
      method: 'GET',
    });
    assert.match(v, /response="6629fae49393a05397450978507c4ef1"/);
    assert.match(v, /qop=auth, nc=00000001, cnonce="0a4f113b"/);
    assert.match(v, /opaque="5ccc069c403ebaf9f0171e9517f40e41"/);
  });
  it('uses HA2 = MD5("AUTH:" + relay URI)', () => {
    const ch = parseDigestChallenge('Digest realm="parley.test", nonce="abc", qop="auth"');
    const uri = 'msrp://127.0.0.1:2855;tcp';
    const v = digestAuthorization(ch, { username: 'alice', password: 'pw', uri, nc: 1, cnonce: 'c' });
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const expect = md5(`${md5('alice:parley.test:pw')}:abc:00000001:c:auth:${md5(`AUTH:${uri}`)}`);
    assert.match(v, new RegExp(`response="${expect}"`));
    assert.match(v, new RegExp(`uri="${uri.replace(/[.;]/g, '\\$&')}"`));
  });
  it('rejects non-digest challenges', () => {
    assert.throws(
      () => parseDigestChallenge('Basic realm="x"'),
      (e) => isParleyError(e, 'MSRP_BAD_AUTH_CHALLENGE'),
    );
    assert.throws(
      () => parseDigestChallenge('Digest qop="auth"'),
      (e) => isParleyError(e, 'MSRP_BAD_AUTH_CHALLENGE'),
    );
  });
});
