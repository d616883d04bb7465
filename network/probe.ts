// Readiness probes for the lab listeners: SIP OPTIONS (RFC 3261 §11) over UDP/TCP, TLS handshakes, TCP connects.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { randomBytes } from 'node:crypto';

/** One probe attempt may take this long before it counts as a failure. */
export const PROBE_ATTEMPT_MS = 1000;

function options(host: string, port: number, proto: 'UDP' | 'TCP', localPort: number): string {
  const tag = randomBytes(4).toString('hex');
  return [
    `OPTIONS sip:${host}:${port} SIP/2.0`,
    `Via: SIP/2.0/${proto} 127.0.0.1:${localPort};rport;branch=z9hG4bK${tag}`,
    'Max-Forwards: 70',
    `From: <sip:probe@127.0.0.1>;tag=${tag}`,
    `To: <sip:${host}:${port}>`,
    `Call-ID: probe-${tag}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

export function probeSipUdp(port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const done = (err?: Error): void => {
      clearTimeout(t);
      s.close();
      if (err) reject(err);
      else resolve();
    };
    const t = setTimeout(() => done(new Error(`no SIP answer on udp:${port}`)), PROBE_ATTEMPT_MS);
    s.on('message', (m) => (m.toString().startsWith('SIP/2.0 ') ? done() : undefined));
    s.on('error', (e) => done(e));
    s.bind(0, '127.0.0.1', () => s.send(options(host, port, 'UDP', s.address().port), port, host));
  });
}

export function probeSipTcp(port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host, port });
    let buf = '';
    const done = (err?: Error): void => {
      clearTimeout(t);
      s.destroy();
      if (err) reject(err);
      else resolve();
    };
    const t = setTimeout(() => done(new Error(`no SIP answer on tcp:${port}`)), PROBE_ATTEMPT_MS);
    s.on('connect', () => s.write(options(host, port, 'TCP', s.localPort ?? 0)));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.startsWith('SIP/2.0 ')) done();
    });
    s.on('error', (e) => done(e));
  });
}

export function probeTls(port: number, caFile: string, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host, port, ca: readFileSync(caFile) });
    const done = (err?: Error): void => {
      clearTimeout(t);
      s.destroy();
      if (err) reject(err);
      else resolve();
    };
    const t = setTimeout(() => done(new Error(`no TLS handshake on ${port}`)), PROBE_ATTEMPT_MS);
    s.on('secureConnect', () => done());
    s.on('error', (e) => done(e));
  });
}

export function probeTcp(port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host, port });
    const done = (err?: Error): void => {
      clearTimeout(t);
      s.destroy();
      if (err) reject(err);
      else resolve();
    };
    const t = setTimeout(() => done(new Error(`no TCP accept on ${port}`)), PROBE_ATTEMPT_MS);
    s.on('connect', () => done());
    s.on('error', (e) => done(e));
  });
}
