// Test-only MSRP hop between two endpoints (CEMA lets an endpoint advertise it in a=path): records the bytes of both
// directions, and on the client->server direction can flip one byte of an E2E body (a tampering hop) or swallow a SEND
// while answering it 200 itself (a relay that acknowledged hop by hop and then lost the frame). With `tls` it terminates
// TLS on both legs with the endpoints' own certificates (so both a=fingerprint checks pass): it then sees what a TLS
// hop sees, while `wire` keeps the encrypted bytes.
import net from 'node:net';
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import { once } from 'node:events';

export interface ProxyTls {
  /** Presented to the connecting endpoint (the advertising endpoint's certificate). */
  server: { cert: string; key: string };
  /** Presented to the upstream endpoint (the connecting endpoint's certificate). */
  client: { cert: string; key: string };
}

type Action = { kind: 'tamper' | 'drop'; contentType: string };

/** A duplex over `raw` that reports every byte read or written (the bytes on the wire under a TLS layer). */
function recorded(raw: net.Socket, record: (b: Buffer) => void): Duplex {
  const d = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      record(chunk);
      raw.write(chunk, cb);
    },
    final(cb) {
      raw.end();
      cb();
    },
    destroy(err, cb) {
      raw.destroy();
      cb(err);
    },
  });
  raw.on('data', (b: Buffer) => {
    record(b);
    d.push(b);
  });
  raw.on('end', () => d.push(null));
  raw.on('close', () => d.destroy());
  return d;
}

export class CapturingProxy {
  /** Bytes as they crossed the network (TLS records in tls mode). */
  readonly wire: Buffer[] = [];
  /** MSRP bytes the proxy handled in clear (equal to `wire` without tls). */
  readonly captured: Buffer[] = [];
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket | Duplex>();
  private action: Action | undefined;
  tampered = 0;
  dropped = 0;

  constructor(
    private readonly targetPort: number,
    private readonly host = '127.0.0.1',
    private readonly tlsOpts?: ProxyTls,
  ) {}

  async listen(): Promise<number> {
    this.server = net.createServer((raw) => this.onConnection(raw));
    this.server.listen(0, this.host);
    await once(this.server, 'listening');
    return (this.server.address() as net.AddressInfo).port;
  }

  private onConnection(rawClient: net.Socket): void {
    const rawUp = net.connect(this.targetPort, this.host);
    const rec = (b: Buffer) => void this.wire.push(Buffer.from(b));
    let client: net.Socket | Duplex = rawClient;
    let up: net.Socket | Duplex = rawUp;
    if (this.tlsOpts) {
      const t = this.tlsOpts;
      client = new tls.TLSSocket(recorded(rawClient, rec), {
        isServer: true,
        secureContext: tls.createSecureContext(t.server),
        requestCert: true,
        rejectUnauthorized: false,
      });
      up = tls.connect({ socket: recorded(rawUp, rec), cert: t.client.cert, key: t.client.key, rejectUnauthorized: false });
    } else {
      rawClient.on('data', rec);
      rawUp.on('data', rec);
    }
    for (const s of [client, up, rawClient, rawUp]) {
      this.sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        for (const x of [client, up, rawClient, rawUp]) x.destroy();
      });
    }
    let pending: Buffer = Buffer.alloc(0);
    client.on('data', (d: Buffer) => {
      this.captured.push(Buffer.from(d));
      if (!this.action && pending.length === 0) return void up.write(d);
      pending = Buffer.concat([pending, d]);
      pending = this.process(pending, up, client);
    });
    up.on('data', (d: Buffer) => {
      this.captured.push(Buffer.from(d));
      client.write(d);
    });
  }

  /** Tamper with the body of the next client->server frame of this content type (E2E test: must fail to open). */
  arm(contentType: string): void {
    this.action = { kind: 'tamper', contentType };
  }

  /** Swallow the next client->server SEND of this content type and answer it 200 OK in the receiver's place. */
  dropNext(contentType: string): void {
    this.action = { kind: 'drop', contentType };
  }

  /** Forward every complete frame of `buf` (acting on the armed one); returns what is left of an incomplete frame. */
  private process(buf: Buffer, up: net.Socket | Duplex, client: net.Socket | Duplex): Buffer {
    for (;;) {
      while (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
        up.write(buf.subarray(0, 2));
        buf = buf.subarray(2);
      }
      const eol = buf.indexOf('\r\n');
      if (eol < 0) return buf;
      const start = /^MSRP (\S+) (\S+)/.exec(buf.subarray(0, eol).toString('latin1'));
      if (!start) {
        up.write(buf); // not MSRP framing: pass it on untouched
        return Buffer.alloc(0);
      }
      const endLine = `\r\n-------${start[1]}`;
      const end = buf.indexOf(endLine, eol);
      if (end < 0 || buf.length < end + endLine.length + 3) return buf;
      const frameEnd = end + endLine.length + 3; // flag + CRLF
      const frame = buf.subarray(0, frameEnd);
      buf = buf.subarray(frameEnd);
      const a = this.action;
      const head = frame.subarray(0, frame.indexOf('\r\n\r\n') < 0 ? end : frame.indexOf('\r\n\r\n')).toString('latin1');
      if (a && start[2] === 'SEND' && head.includes(`Content-Type: ${a.contentType}`)) {
        this.action = undefined;
        if (a.kind === 'drop') {
          this.dropped++;
          const to = /^To-Path: (\S+)/m.exec(head)?.[1] ?? '';
          const from = /^From-Path: (\S+)/m.exec(head)?.[1] ?? '';
          client.write(`MSRP ${start[1]} 200 OK\r\nTo-Path: ${from}\r\nFrom-Path: ${to}\r\n-------${start[1]}$\r\n`);
          continue;
        }
        const out = Buffer.from(frame);
        out[end - 1] ^= 0x01; // last body byte: inside the AEAD tag
        this.tampered++;
        up.write(out);
        continue;
      }
      up.write(frame);
    }
  }

  /** The bytes on the wire, both directions. */
  get bytes(): Buffer {
    return Buffer.concat(this.wire);
  }

  /** The MSRP bytes as the proxy saw them in clear. */
  get plain(): Buffer {
    return Buffer.concat(this.captured);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
  }
}
