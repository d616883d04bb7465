// Hand-written MSRP endpoint (RFC 4975 framing, RFC 4976 AUTH) over raw Node sockets, for relay tests only.
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { digestAuthorization, parseChallenge, randomToken } from './sipmsg';
import { WaitQueue } from './wait-queue';

export interface MsrpFrame {
  tid: string;
  method?: string;
  status?: number;
  comment?: string;
  headers: Array<[string, string]>;
  body: string;
  flag: string;
}

export const MSRP_TIMEOUT_MS = 10000;
/** Frames this helper refuses to buffer (the Kamailio relay's own limits are far lower, see docs/lab.md). */
export const MAX_MSRP_FRAME = 1 << 20;

export function msrpHeader(f: MsrpFrame, name: string): string | undefined {
  return f.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

/** Split a stream into complete MSRP frames (first line `MSRP tid ...`, end line `-------tid[$+#]`). */
export function frameMsrp(buf: Buffer): { frames: MsrpFrame[]; rest: Buffer } {
  const frames: MsrpFrame[] = [];
  let off = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', off);
    if (eol < 0) break;
    const first = /^MSRP (\S+) (.*)$/.exec(buf.subarray(off, eol).toString('utf8'));
    if (!first) throw new Error(`bad MSRP first line at offset ${off}`);
    const tid = first[1];
    const endMarker = `\r\n-------${tid}`;
    const end = buf.indexOf(endMarker, eol);
    if (end < 0 || end + endMarker.length + 3 > buf.length) break;
    const flag = String.fromCharCode(buf[end + endMarker.length]);
    const text = buf.subarray(eol + 2, end).toString('utf8');
    const split = text.indexOf('\r\n\r\n');
    const head = split >= 0 ? text.slice(0, split) : text;
    const body = split >= 0 ? text.slice(split + 4) : '';
    const headers = head
      .split('\r\n')
      .filter((l) => l.length > 0)
      .map((l): [string, string] => {
        const i = l.indexOf(':');
        return [l.slice(0, i), l.slice(i + 1).trim()];
      });
    const rest = first[2];
    const st = /^(\d{3})(?: (.*))?$/.exec(rest);
    frames.push(st ? { tid, status: Number(st[1]), comment: st[2], headers, body, flag } : { tid, method: rest, headers, body, flag });
    off = end + endMarker.length + 3;
  }
  if (buf.length - off > MAX_MSRP_FRAME) throw new Error('MSRP frame larger than MAX_MSRP_FRAME');
  return { frames, rest: buf.subarray(off) };
}

export function buildMsrp(tid: string, firstRest: string, headers: Array<[string, string]>, body?: string): string {
  const head = `MSRP ${tid} ${firstRest}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}`;
  return body === undefined ? `${head}-------${tid}$\r\n` : `${head}\r\n${body}\r\n-------${tid}$\r\n`;
}

/** A SEND of one complete text/plain message (Byte-Range 1-N/N). */
export function buildTextSend(tid: string, toPath: string, fromPath: string, text: string): string {
  const len = Buffer.byteLength(text);
  const headers: Array<[string, string]> = [
    ['To-Path', toPath],
    ['From-Path', fromPath],
    ['Message-ID', randomToken(6)],
    ['Byte-Range', `1-${len}/${len}`],
    ['Content-Type', 'text/plain'],
  ];
  return buildMsrp(tid, 'SEND', headers, text);
}

/**
 * Reads MSRP frames from `sock` into `frames`, answering each SEND that wants it hop by hop, to the previous hop only
 * (RFC 4975 s.7.2), with `ownUri()` as From-Path. Errors surface as wait timeouts.
 */
function readFrames(sock: Socket, frames: WaitQueue<MsrpFrame>, ownUri: () => string): void {
  sock.setNoDelay(true);
  let rest: Buffer = Buffer.alloc(0);
  sock.on('data', (d) => {
    const r = frameMsrp(Buffer.concat([rest, d]));
    rest = r.rest;
    for (const f of r.frames) {
      if (f.method === 'SEND' && msrpHeader(f, 'Failure-Report') !== 'no') {
        const prev = (msrpHeader(f, 'From-Path') ?? '').split(/\s+/)[0];
        sock.write(
          buildMsrp(f.tid, '200 OK', [
            ['To-Path', prev],
            ['From-Path', ownUri()],
          ]),
        );
      }
      frames.push(f);
    }
  });
  sock.on('error', () => {
    /* surfaced by timeouts */
  });
}

export class RawMsrpClient {
  readonly sessionId = randomToken(6);
  private readonly frames = new WaitQueue<MsrpFrame>();
  /** Use-Path granted by the relay after a successful AUTH. */
  usePath?: string;

  private constructor(
    private readonly sock: Socket,
    readonly relayUri: string,
    readonly tls: boolean,
  ) {
    readFrames(sock, this.frames, () => this.uri);
  }

  /** This endpoint's own MSRP URI (host is the loopback address and the real local port). */
  get uri(): string {
    return `${this.tls ? 'msrps' : 'msrp'}://127.0.0.1:${this.sock.localPort}/${this.sessionId};tcp`;
  }

  /** Connect to a relay on `opts.host` (default 127.0.0.1; the second lab network's relay is on 127.0.0.2). */
  static async connect(port: number, opts: { tls?: boolean; caFile?: string; host?: string } = {}): Promise<RawMsrpClient> {
    const host = opts.host ?? '127.0.0.1';
    const s = opts.tls ? tlsConnect({ host, port, ca: opts.caFile ? readFileSync(opts.caFile) : undefined }) : tcpConnect({ host, port });
    await new Promise<void>((res, rej) => {
      s.once(opts.tls ? 'secureConnect' : 'connect', () => res());
      s.once('error', rej);
    });
    return new RawMsrpClient(s, `${opts.tls ? 'msrps' : 'msrp'}://${host}:${port};tcp`, !!opts.tls);
  }

  write(data: string): void {
    this.sock.write(data);
  }

  /** Whether a frame matching pred has arrived and not been taken by waitFor (no waiting). */
  has(pred: (f: MsrpFrame) => boolean): boolean {
    return this.frames.has(pred);
  }

  waitFor(pred: (f: MsrpFrame) => boolean, timeoutMs = MSRP_TIMEOUT_MS): Promise<MsrpFrame> {
    return this.frames.take(pred, timeoutMs, 'matching MSRP frame');
  }

  /** Send a request and wait for the response with the same transaction id. */
  async transact(method: string, headers: Array<[string, string]>, body?: string): Promise<MsrpFrame> {
    const tid = randomToken(6);
    const res = this.waitFor((f) => f.tid === tid && f.status !== undefined);
    this.write(buildMsrp(tid, method, headers, body));
    return res;
  }

  /** RFC 4976 §5: AUTH, answer the 401 digest challenge, keep the Use-Path. Returns the final response. */
  async auth(user: string, password: string, expires?: number): Promise<MsrpFrame> {
    const base: Array<[string, string]> = [
      ['To-Path', this.relayUri],
      ['From-Path', this.uri],
    ];
    if (expires !== undefined) base.push(['Expires', String(expires)]);
    let res = await this.transact('AUTH', base);
    if (res.status === 401) {
      const challenge = parseChallenge(msrpHeader(res, 'WWW-Authenticate') ?? '');
      const authz = digestAuthorization({ challenge, method: 'AUTH', uri: this.relayUri, username: user, password });
      res = await this.transact('AUTH', [...base, ['Authorization', authz]]);
    }
    if (res.status === 200) this.usePath = msrpHeader(res, 'Use-Path');
    return res;
  }

  /** SEND a complete text message along `toPath` (space-separated URIs, first hop first). */
  send(toPath: string, text: string, fromPath = this.uri): Promise<MsrpFrame> {
    const tid = randomToken(6);
    const res = this.waitFor((f) => f.tid === tid && f.status !== undefined);
    this.write(buildTextSend(tid, toPath, fromPath, text));
    return res;
  }

  close(): Promise<void> {
    if (this.sock.destroyed) return Promise.resolve();
    return new Promise((r) => {
      this.sock.once('close', () => r());
      this.sock.destroy();
    });
  }
}

/**
 * An MSRP endpoint without a relay (RFC 4975): listens on 127.0.0.1 at its own URI; whoever sends to it (here: the
 * relay, RFC 4976 s.6) connects. Answers SENDs hop by hop; `write` sends on the most recently accepted connection.
 */
export class MsrpListener {
  readonly sessionId = randomToken(6);
  private readonly frames = new WaitQueue<MsrpFrame>();
  private readonly conns: Socket[] = [];
  /** Connections accepted so far. */
  accepted = 0;

  private constructor(private readonly server: Server) {
    server.on('connection', (s) => {
      this.accepted++;
      this.conns.push(s);
      readFrames(s, this.frames, () => this.uri);
    });
  }

  static async listen(): Promise<MsrpListener> {
    const server = createServer();
    await new Promise<void>((r, j) => {
      server.once('error', j);
      server.listen(0, '127.0.0.1', () => r());
    });
    return new MsrpListener(server);
  }

  get uri(): string {
    const a = this.server.address();
    return `msrp://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/${this.sessionId};tcp`;
  }

  waitFor(pred: (f: MsrpFrame) => boolean, timeoutMs = MSRP_TIMEOUT_MS): Promise<MsrpFrame> {
    return this.frames.take(pred, timeoutMs, 'matching MSRP frame on the listener');
  }

  /** Write on the most recently accepted connection (reusing the connection the relay opened). */
  write(data: string): void {
    const s = this.conns[this.conns.length - 1];
    if (!s) throw new Error('MsrpListener: no connection accepted yet');
    s.write(data);
  }

  /** SEND a complete text message on the accepted connection; resolves with its transaction response. */
  async send(toPath: string, text: string): Promise<MsrpFrame> {
    const tid = randomToken(6);
    const res = this.waitFor((f) => f.tid === tid && f.status !== undefined);
    this.write(buildTextSend(tid, toPath, this.uri, text));
    return res;
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
