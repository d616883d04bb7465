// The fair baseline for MSRP through the lab relay: a minimal hand-written MSRP client (no Parley code) that AUTHs at the
// relay (RFC 4976 s.5), then sends one message as SEND chunks of the same size along the same path Parley uses
// (our Use-Path, the peer's Use-Path, the peer), with Failure-Report: yes semantics: every hop answers every chunk. The
// receiving client answers 200 per SEND and counts body bytes. Only socket backpressure paces the sender, as in Parley.
import net from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { digestAuthorization, parseChallenge } from '../network/testing/sipmsg';

const prefix = randomBytes(6).toString('hex');
let seq = 0;
/** Transaction and message ids: a random prefix and a counter (cheap; unique per process run). */
const id = () => `${prefix}${(seq++).toString(36)}`;

interface Frame {
  tid: string;
  start: string; // "SEND", "200 OK", ...
  headers: Map<string, string>;
  bodyBytes: number;
}

/** A minimal MSRP endpoint on one TCP connection to the relay: frames split on the end-line, bodies only counted. */
export class RawRelayClient {
  readonly sessionId = id();
  usePath = '';
  private buf: Buffer = Buffer.alloc(0);
  private waiting = new Map<string, (f: Frame) => void>();
  onSend: (f: Frame) => void = () => {};
  responses = 0;

  private constructor(
    private readonly sock: net.Socket,
    private readonly relayUri: string,
  ) {
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => this.push(d));
  }

  static async connect(relayUri: string): Promise<RawRelayClient> {
    const m = /^msrp:\/\/([^:/]+):(\d+)/.exec(relayUri);
    if (!m) throw new Error(`relay URI ${relayUri}`);
    const sock = net.connect(Number(m[2]), m[1]);
    await once(sock, 'connect');
    return new RawRelayClient(sock, relayUri);
  }

  get uri(): string {
    return `msrp://127.0.0.1:${this.sock.localPort}/${this.sessionId};tcp`;
  }

  private push(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      const eol = this.buf.indexOf('\r\n');
      if (eol < 0) return;
      const [, tid, start] = /^MSRP (\S+) (.*)$/.exec(this.buf.toString('latin1', 0, eol)) ?? [];
      if (!tid) throw new Error('bad MSRP start line');
      const end = this.buf.indexOf(`\r\n-------${tid}`, eol, 'latin1');
      const frameEnd = end + 12 + tid.length;
      if (end < 0 || frameEnd > this.buf.length) return;
      const blank = this.buf.indexOf('\r\n\r\n', eol, 'latin1');
      const headEnd = blank >= 0 && blank < end ? blank : end;
      const headers = new Map<string, string>();
      for (const line of this.buf.toString('latin1', eol + 2, headEnd).split('\r\n')) {
        const c = line.indexOf(':');
        if (c > 0) headers.set(line.slice(0, c).toLowerCase(), line.slice(c + 1).trim());
      }
      const f: Frame = { tid, start, headers, bodyBytes: blank >= 0 && blank < end ? end - blank - 4 : 0 };
      this.buf = this.buf.subarray(frameEnd);
      this.onFrame(f);
    }
  }

  private onFrame(f: Frame): void {
    if (/^\d{3}/.test(f.start)) {
      this.responses++;
      this.waiting.get(f.tid)?.(f);
      this.waiting.delete(f.tid);
      return;
    }
    if (f.start === 'SEND') {
      const prev = (f.headers.get('from-path') ?? '').split(/\s+/)[0];
      this.sock.write(`MSRP ${f.tid} 200 OK\r\nTo-Path: ${prev}\r\nFrom-Path: ${this.uri}\r\n-------${f.tid}$\r\n`);
      this.onSend(f);
    }
  }

  private request(head: string, tid = id()): Promise<Frame> {
    const answered = new Promise<Frame>((r) => this.waiting.set(tid, r));
    this.sock.write(`MSRP ${tid} ${head}-------${tid}$\r\n`);
    return answered;
  }

  /** AUTH with the digest challenge; keeps Use-Path. */
  async auth(username: string, password: string): Promise<void> {
    const base = `AUTH\r\nTo-Path: ${this.relayUri}\r\nFrom-Path: ${this.uri}\r\n`;
    let r = await this.request(base);
    if (r.start.startsWith('401')) {
      const challenge = parseChallenge(r.headers.get('www-authenticate') ?? '');
      const authz = digestAuthorization({ challenge, method: 'AUTH', uri: this.relayUri, username, password });
      r = await this.request(`${base}Authorization: ${authz}\r\n`);
    }
    if (!r.start.startsWith('200')) throw new Error(`relay AUTH: ${r.start}`);
    this.usePath = r.headers.get('use-path') ?? '';
  }

  /** Empty binding SEND (repeat until the peer saw one: the lab relay may drop the first frames, docs/msrp.md). */
  bind(toPath: string): void {
    const tid = id();
    this.sock.write(
      `MSRP ${tid} SEND\r\nTo-Path: ${toPath}\r\nFrom-Path: ${this.uri}\r\nMessage-ID: ${id()}\r\nByte-Range: 1-0/0\r\n-------${tid}$\r\n`,
    );
  }

  /** One message as `chunk`-byte SENDs, written as fast as the socket takes them. Resolves when all are written. */
  async sendMessage(toPath: string, body: Buffer, chunk: number, contentType = 'application/octet-stream'): Promise<void> {
    const messageId = id();
    const total = body.length;
    for (let o = 0; o < total; o += chunk) {
      const tid = id();
      const end = Math.min(total, o + chunk);
      const head =
        `MSRP ${tid} SEND\r\nTo-Path: ${toPath}\r\nFrom-Path: ${this.uri}\r\nMessage-ID: ${messageId}\r\n` +
        `Byte-Range: ${o + 1}-${end}/${total}\r\nContent-Type: ${contentType}\r\n\r\n`;
      const piece = body.subarray(o, end);
      if (piece.includes(`\r\n-------${tid}`, 0, 'latin1')) throw new Error('tid in body'); // the check every sender makes
      this.sock.cork();
      this.sock.write(head);
      this.sock.write(piece);
      const ok = this.sock.write(`\r\n-------${tid}${end === total ? '$' : '+'}\r\n`);
      this.sock.uncork();
      if (!ok) await once(this.sock, 'drain');
    }
  }

  close(): void {
    this.sock.destroy();
  }
}

/**
 * Alice sends `body` to Bob through the relay (both relayed), `chunk` bytes per SEND; resolves with the milliseconds from
 * the first byte written to the last byte counted at Bob.
 */
export async function rawRelayTransfer(relayUri: string, body: Buffer, chunk: number): Promise<number> {
  const a = await RawRelayClient.connect(relayUri);
  const b = await RawRelayClient.connect(relayUri);
  try {
    await a.auth('alice', 'alice-secret');
    await b.auth('bob', 'bob-secret');
    const toB = `${a.usePath} ${b.usePath} ${b.uri}`;
    let got = 0;
    let bound = false;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    b.onSend = (f) => {
      if (f.bodyBytes === 0) bound = true;
      got += f.bodyBytes;
      if (got >= body.length) done();
    };
    for (let i = 0; i < 50 && !bound; i++) {
      a.bind(toB);
      await new Promise((r) => setTimeout(r, 100)); // the relay builds its relay-to-relay leg on the first frames
    }
    if (!bound) throw new Error('raw relay baseline: binding SEND never arrived');
    const t0 = performance.now();
    await a.sendMessage(toB, body, chunk);
    await finished;
    return performance.now() - t0;
  } finally {
    a.close();
    b.close();
  }
}
