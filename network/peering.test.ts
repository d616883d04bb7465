// The tls.cfg a lab with a peer network gives Kamailio (network/peering.ts): which TLS domains ask for, present and verify
// certificates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PEER_SERVER_ID, peerDefines, peerTlsConfig } from './peering';

const peer = { domain: 'example.test', host: '127.0.0.2', tls: 5061, msrp: 2855, msrps: 2856 };
const files = { certFile: '/s/server.pem', keyFile: '/s/server.key', caFile: '/s/ca.pem' };

function sections(cfg: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  let cur: Record<string, string> | undefined;
  for (const line of cfg.split('\n')) {
    const head = /^\[(.+)\]$/.exec(line);
    if (head) out.set(head[1], (cur = {}));
    else if (cur && line.includes('=')) {
      const [k, v] = line.split('=').map((x) => x.trim());
      cur[k] = v;
    }
  }
  return out;
}

test('our SIP TLS listener asks for a client certificate and verifies it with the lab CA; other listeners do not', () => {
  const s = sections(peerTlsConfig({ host: '127.0.0.1', tls: 5061 }, peer, files));
  assert.deepEqual(s.get('server:127.0.0.1:5061'), {
    method: 'TLSv1.2+',
    certificate: '/s/server.pem',
    private_key: '/s/server.key',
    ca_list: '/s/ca.pem',
    verify_certificate: 'yes',
    require_certificate: 'no',
  });
  assert.equal(s.get('server:default')?.verify_certificate, 'no');
  assert.equal(s.get('client:default')?.verify_certificate, 'no', 'clients without a relay keep self-signed msrps');
});

test('connections to the peer present our certificate and require a valid one (client domain chosen by server_id)', () => {
  const s = sections(peerTlsConfig({ host: '127.0.0.1', tls: 5061 }, peer, files));
  const c = s.get('client:any');
  assert.equal(c?.server_id, PEER_SERVER_ID);
  assert.equal(c?.server_name, 'example.test');
  assert.deepEqual(
    [c?.certificate, c?.ca_list, c?.verify_certificate, c?.require_certificate],
    ['/s/server.pem', '/s/ca.pem', 'yes', 'yes'],
  );
  assert.deepEqual(peerDefines(peer, '/s/run/tls.cfg'), {
    PEER_DOMAIN: '"example.test"',
    PEER_IP_STR: '"127.0.0.2"',
    PEER_TLS_PORT: 5061,
    PEER_MSRP_PORT: 2855,
    PEER_MSRPS_PORT: 2856,
    TLS_CFG: '"/s/run/tls.cfg"',
  });
});
