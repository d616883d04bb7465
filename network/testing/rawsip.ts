// Hand-written SIP UA over raw Node sockets (RFC 3261 transports, RFC 7118 WebSocket) for lab integration tests.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import WebSocket from 'ws';
import {
  digestAuthorization,
  frameStream,
  header,
  headers,
  parseChallenge,
  parseSip,
  parseSipBytes,
  randomToken,
  serialize,
  serializeBytes,
  type SipMessage,
} from './sipmsg';
import { tagParam } from '../../main/protocol/sip/headers';
import { reasonPhrase, responseHeaders, statusLine } from '../../main/protocol/sip/response';
import { WaitQueue } from './wait-queue';

export * from './sipmsg';

export type RawTransport = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** The part of a Lab the helper needs (keeps this file free of a lab.ts import cycle). */
export interface RawLab {
  /** The proxy's loopback address (the client itself always binds 127.0.0.1). */
  host: string;
  domain: string;
  caFile: string;
  ports: { sip: number; tls: number; ws: number; wss: number };
}

export interface RawSipOptions {
  lab: RawLab;
  transport: RawTransport;
  user: string;
  password: string;
  /** Reply to incoming requests automatically (default 200 OK); return a status to use another code. */
  autoReply?: (req: SipMessage) => number;
  /** TLS only: present this client certificate (PEM files), e.g. to pose as another network's proxy. */
  clientCert?: { certFile: string; keyFile: string };
}

/** Default wait for a final response. */
export const RESPONSE_TIMEOUT_MS = 10000;

interface Pending {
  resolve: (m: SipMessage) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class RawSipClient {
  readonly transport: RawTransport;
  readonly user: string;
  readonly aor: string;
  localPort = 0;
  private readonly password: string;
  private readonly lab: RawLab;
  private readonly pending = new Map<string, Pending>();
  private readonly requests = new WaitQueue<SipMessage>();
  private cseq = 1;
  private udp?: UdpSocket;
  private stream?: Socket;
  private ws?: WebSocket;
  private rest: Buffer = Buffer.alloc(0);
  private readonly wsHost = `${randomToken(5)}.invalid`;
  private readonly autoReply: (req: SipMessage) => number;
  private readonly clientCert?: { certFile: string; keyFile: string };
  closed = false;

  private constructor(o: RawSipOptions) {
    this.transport = o.transport;
    this.user = o.user;
    this.password = o.password;
    this.lab = o.lab;
    this.aor = `sip:${o.user}@${o.lab.domain}`;
    this.autoReply = o.autoReply ?? (() => 200);
    this.clientCert = o.clientCert;
  }

  static async connect(o: RawSipOptions): Promise<RawSipClient> {
    const c = new RawSipClient(o);
    await c.open();
    return c;
  }

  get proxyPort(): number {
    const p = this.lab.ports;
    return { udp: p.sip, tcp: p.sip, tls: p.tls, ws: p.ws, wss: p.wss }[this.transport];
  }

  private get viaProto(): string {
    return this.transport.toUpperCase();
  }

  /** Contact host:port as this client advertises it (WS clients use a *.invalid host like browsers do). */
  get contact(): string {
    if (this.transport === 'ws' || this.transport === 'wss') return `<sip:${this.user}@${this.wsHost};transport=${this.transport}>`;
    return `<sip:${this.user}@127.0.0.1:${this.localPort};transport=${this.transport}>`;
  }

  private get viaSentBy(): string {
    return this.transport === 'ws' || this.transport === 'wss' ? this.wsHost : `127.0.0.1:${this.localPort}`;
  }

  private async open(): Promise<void> {
    const port = this.proxyPort;
    if (this.transport === 'udp') {
      const s = createSocket('udp4');
      this.udp = s;
      s.on('message', (b) => this.onMessage(b));
      await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
      this.localPort = s.address().port;
      return;
    }
    if (this.transport === 'ws' || this.transport === 'wss') {
      const url = `${this.transport}://${this.lab.host}:${port}`;
      const ws = new WebSocket(url, 'sip', this.transport === 'wss' ? { ca: readFileSync(this.lab.caFile) } : {});
      this.ws = ws;
      ws.on('message', (d) => this.onMessage(Buffer.isBuffer(d) ? d : Buffer.from(d.toString())));
      await new Promise<void>((res, rej) => {
        ws.once('open', () => res());
        ws.once('error', rej);
      });
      ws.on('close', () => {
        this.closed = true;
      });
      return;
    }
    const s =
      this.transport === 'tls'
        ? tlsConnect({
            host: this.lab.host,
            port,
            ca: readFileSync(this.lab.caFile),
            servername: this.lab.domain,
            cert: this.clientCert && readFileSync(this.clientCert.certFile),
            key: this.clientCert && readFileSync(this.clientCert.keyFile),
          })
        : tcpConnect({ host: this.lab.host, port });
    this.stream = s;
    s.setNoDelay(true);
    await new Promise<void>((res, rej) => {
      s.once(this.transport === 'tls' ? 'secureConnect' : 'connect', () => res());
      s.once('error', rej);
    });
    this.localPort = s.localPort ?? 0;
    s.on('data', (d) => {
      const { messages, rest } = frameStream(Buffer.concat([this.rest, d]));
      this.rest = rest;
      for (const m of messages) this.onMessage(m);
    });
    s.on('close', () => {
      this.closed = true;
    });
    s.on('error', () => {
      /* surfaced through close and pending timeouts */
    });
  }

  /** Send raw bytes (a SIP message or a keep-alive). */
  sendRaw(data: string | Buffer): void {
    if (this.udp) this.udp.send(Buffer.from(data), this.proxyPort, this.lab.host);
    else if (this.ws) this.ws.send(data);
    else this.stream?.write(data);
  }

  private onMessage(raw: Buffer): void {
    let m: SipMessage;
    try {
      m = parseSipBytes(raw);
    } catch {
      return;
    }
    if (m.status !== undefined) {
      const key = `${header(m, 'Call-ID')}|${header(m, 'CSeq')}`;
      const p = this.pending.get(key);
      if (p && m.status >= 200) {
        this.pending.delete(key);
        clearTimeout(p.timer);
        p.resolve(m);
      }
      return;
    }
    if (m.method !== 'ACK') {
      const code = this.autoReply(m);
      this.reply(m, code);
    }
    this.requests.push(m);
  }

  /** Answer a received request (main/protocol/sip/response.ts: Via/From/To/Call-ID/CSeq copied, one To tag per Call-ID). */
  reply(req: SipMessage, status: number, reason = reasonPhrase(status)): void {
    const callId = header(req, 'Call-ID') ?? '';
    const tag = tagParam(header(req, 'To') ?? '') ?? this.answeredTags.get(callId) ?? randomToken(4);
    this.answeredTags.set(callId, tag);
    const hs = responseHeaders(req.headers, status, tag);
    if (status < 300 && /^(INVITE|SUBSCRIBE)$/.test(req.method ?? '')) hs.push(['Contact', this.contact]);
    this.sendRaw(serialize(statusLine(status, reason), hs));
  }

  /** Wait for an incoming request matching pred (already received ones count). */
  waitForRequest(pred: (m: SipMessage) => boolean, timeoutMs = RESPONSE_TIMEOUT_MS): Promise<SipMessage> {
    return this.requests.take(pred, timeoutMs, `matching request for ${this.user}/${this.transport}`);
  }

  /**
   * Send a request and resolve with the final response. A 401/407 challenge is answered once with digest
   * credentials (`credentials` overrides user/password, e.g. to test a wrong password or another identity).
   */
  async request(
    method: string,
    ruri: string,
    opts: {
      to?: string;
      from?: string;
      body?: string;
      contentType?: string;
      extra?: Array<[string, string]>;
      /** A binary body (sent as is; takes precedence over `body`). */
      bodyBytes?: Uint8Array;
      callId?: string;
      credentials?: { user: string; password: string };
      noAuth?: boolean;
      timeoutMs?: number;
      /** Called with each request as sent (e.g. to CANCEL a pending INVITE). */
      onSent?: (raw: string) => void;
    } = {},
  ): Promise<SipMessage> {
    const callId = opts.callId ?? `${randomToken(10)}@raw`;
    const fromTag = randomToken(4);
    const build = (auth?: [string, string]): string | Buffer => {
      const hs: Array<[string, string]> = [
        ['Via', `SIP/2.0/${this.viaProto} ${this.viaSentBy};rport;branch=z9hG4bK${randomToken(8)}`],
        ['Max-Forwards', '70'],
        ['From', `<${opts.from ?? this.aor}>;tag=${fromTag}`],
        ['To', `<${opts.to ?? ruri}>`],
        ['Call-ID', callId],
        ['CSeq', `${this.cseq++} ${method}`],
        ['Contact', this.contact],
        ['User-Agent', 'parley-rawsip'],
        ...(opts.extra ?? []),
      ];
      if (auth) hs.push(auth);
      if (opts.body !== undefined || opts.bodyBytes !== undefined) hs.push(['Content-Type', opts.contentType ?? 'text/plain']);
      if (opts.bodyBytes !== undefined) return serializeBytes(`${method} ${ruri} SIP/2.0`, hs, opts.bodyBytes);
      return serialize(`${method} ${ruri} SIP/2.0`, hs, opts.body ?? '');
    };
    const send = (raw: string | Buffer): Promise<SipMessage> => {
      opts.onSent?.(typeof raw === 'string' ? raw : raw.toString('latin1'));
      return this.transact(raw, opts.timeoutMs);
    };
    let res = await send(build());
    if ((res.status === 401 || res.status === 407) && !opts.noAuth) {
      const challenge = parseChallenge(header(res, res.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate') ?? '');
      const cred = opts.credentials ?? { user: this.user, password: this.password };
      const value = digestAuthorization({ challenge, method, uri: ruri, username: cred.user, password: cred.password });
      res = await send(build([res.status === 401 ? 'Authorization' : 'Proxy-Authorization', value]));
    }
    return res;
  }

  private transact(raw: string | Buffer, timeoutMs = RESPONSE_TIMEOUT_MS): Promise<SipMessage> {
    // Only the head is needed here (Call-ID, CSeq): a binary body is not decoded.
    const m = parseSip(typeof raw === 'string' ? raw : `${raw.subarray(0, raw.indexOf('\r\n\r\n')).toString('utf8')}\r\n\r\n`);
    const key = `${header(m, 'Call-ID')}|${header(m, 'CSeq')}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new Error(`${this.user}/${this.transport}: no final response to ${m.method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(key, { resolve, reject, timer });
      this.sendRaw(raw);
    });
  }

  /**
   * Send an in-dialog request (RFC 3261 §12.2.1.1) in the dialog set up by `msg`: a 2xx response we received
   * (we are the UAC) or a request we received and answered (we are the UAS). ACK gets no response (resolves undefined).
   */
  async inDialog(
    method: string,
    msg: SipMessage,
    opts: { body?: string; contentType?: string; extra?: Array<[string, string]> } = {},
  ): Promise<SipMessage | undefined> {
    const uac = msg.status !== undefined;
    const target = /<([^>]+)>/.exec(header(msg, 'Contact') ?? '')?.[1];
    if (!target) throw new Error('dialog-forming message without Contact');
    const rr = headers(msg, 'Record-Route').flatMap((v) => v.split(/,(?=\s*<)/).map((x) => x.trim()));
    const routes = uac ? rr.reverse() : rr;
    const from = uac ? header(msg, 'From') : this.toTagged(msg);
    const to = uac ? header(msg, 'To') : header(msg, 'From');
    const cseqNum = method === 'ACK' ? Number((header(msg, 'CSeq') ?? '1').split(' ')[0]) : this.cseq++ + 1000;
    const hs: Array<[string, string]> = [
      ['Via', `SIP/2.0/${this.viaProto} ${this.viaSentBy};rport;branch=z9hG4bK${randomToken(8)}`],
      ['Max-Forwards', '70'],
      ['From', from ?? ''],
      ['To', to ?? ''],
      ['Call-ID', header(msg, 'Call-ID') ?? ''],
      ['CSeq', `${cseqNum} ${method}`],
      ['Contact', this.contact],
      ...routes.map((r): [string, string] => ['Route', r]),
      ...(opts.extra ?? []),
    ];
    if (opts.body !== undefined) hs.push(['Content-Type', opts.contentType ?? 'text/plain']);
    const raw = serialize(`${method} ${target} SIP/2.0`, hs, opts.body ?? '');
    if (method === 'ACK') {
      this.sendRaw(raw);
      return undefined;
    }
    return this.transact(raw);
  }

  private readonly answeredTags = new Map<string, string>();

  /** The To header (with our tag) we used when answering a request. */
  private toTagged(req: SipMessage): string {
    const to = header(req, 'To') ?? '';
    if (/;tag=/.test(to)) return to;
    return `${to};tag=${this.answeredTags.get(header(req, 'Call-ID') ?? '') ?? ''}`;
  }

  /** RFC 3261 §9.1: CANCEL a pending INVITE (same R-URI, Call-ID, From, To, CSeq number and Via branch). */
  cancel(inviteRaw: string): Promise<SipMessage> {
    const inv = parseSip(inviteRaw);
    const keep = inv.headers.filter(([k]) => /^(via|from|to|call-id|route)$/i.test(k));
    keep.push(['CSeq', `${(header(inv, 'CSeq') ?? '1').split(' ')[0]} CANCEL`], ['Max-Forwards', '70']);
    return this.transact(serialize(`CANCEL ${inv.uri} SIP/2.0`, keep));
  }

  /** RFC 3261 §17.1.1.3: ACK a non-2xx final response to an INVITE (same branch, To from the response). */
  ackNon2xx(inviteRaw: string, res: SipMessage): void {
    const inv = parseSip(inviteRaw);
    const hs: Array<[string, string]> = inv.headers.filter(([k]) => /^(via|from|call-id|route)$/i.test(k));
    hs.push(['To', header(res, 'To') ?? ''], ['CSeq', `${(header(inv, 'CSeq') ?? '1').split(' ')[0]} ACK`], ['Max-Forwards', '70']);
    this.sendRaw(serialize(`ACK ${inv.uri} SIP/2.0`, hs));
  }

  register(expires = 600, credentials?: { user: string; password: string }): Promise<SipMessage> {
    return this.request('REGISTER', `sip:${this.lab.domain}`, {
      to: this.aor,
      extra: [['Expires', String(expires)]],
      credentials,
    });
  }

  message(target: string, text: string, opts: { from?: string; contentType?: string } = {}): Promise<SipMessage> {
    return this.request('MESSAGE', target, { body: text, contentType: opts.contentType ?? 'text/plain', from: opts.from });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('client closed'));
    }
    this.pending.clear();
    if (this.udp) await new Promise<void>((r) => this.udp!.close(() => r()));
    if (this.ws) {
      const ws = this.ws;
      if (ws.readyState !== WebSocket.CLOSED)
        await new Promise<void>((r) => {
          ws.once('close', () => r());
          ws.terminate();
        });
    }
    if (this.stream && !this.stream.destroyed) {
      const s = this.stream;
      await new Promise<void>((r) => {
        s.once('close', () => r());
        s.destroy();
      });
    }
  }
}
