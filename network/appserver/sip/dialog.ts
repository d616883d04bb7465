// SIP dialog state and in-dialog request construction (RFC 3261 s.12.1.1 UAS, s.12.1.2 UAC, s.12.2.1.1, s.12.2.2). Sans-IO.
import { ParleyError } from '../../../main/base/errors';
import { getHeader, getHeaders, parseCSeq, parseNameAddr, tagOf, type Headers, type SipRequest, type SipResponse } from './message';

export class Dialog {
  private constructor(
    readonly callId: string,
    readonly localTag: string,
    readonly remoteTag: string,
    /** Our From/To header value without tag (name-addr). */
    readonly localUri: string,
    readonly remoteUri: string,
    public remoteTarget: string,
    readonly routeSet: string[],
    public localSeq: number,
    public remoteSeq: number | undefined,
    readonly contact: string,
  ) {}

  get id(): string {
    return dialogId(this.callId, this.localTag, this.remoteTag);
  }

  /** s.12.1.1: we answered `req` with a 2xx carrying To tag `localTag` and Contact `contact`. */
  static asUas(req: SipRequest, localTag: string, contact: string): Dialog {
    const from = getHeader(req, 'From') ?? '';
    const remoteTag = tagOf(from);
    const target = getHeaders(req, 'Contact')[0];
    if (!remoteTag || !target) throw new ParleyError('SIP_BAD_DIALOG', 'dialog-forming request without From tag or Contact');
    return new Dialog(
      getHeader(req, 'Call-ID') ?? '',
      localTag,
      remoteTag,
      stripTag(getHeader(req, 'To') ?? ''),
      stripTag(from),
      parseNameAddr(target).uri,
      getHeaders(req, 'Record-Route'),
      Math.floor(Math.random() * 0x7fff) + 1,
      parseCSeq(getHeader(req, 'CSeq') ?? '').seq,
      contact,
    );
  }

  /** s.12.1.2: our request `req` got the 2xx `res`. Route set is the Record-Route of the response, reversed. */
  static asUac(req: SipRequest, res: SipResponse, contact: string): Dialog {
    const localTag = tagOf(getHeader(req, 'From'));
    const remoteTag = tagOf(getHeader(res, 'To'));
    const target = getHeaders(res, 'Contact')[0];
    if (!localTag || !remoteTag || !target) throw new ParleyError('SIP_BAD_DIALOG', '2xx without To tag or Contact');
    return new Dialog(
      getHeader(req, 'Call-ID') ?? '',
      localTag,
      remoteTag,
      stripTag(getHeader(req, 'From') ?? ''),
      stripTag(getHeader(res, 'To') ?? ''),
      parseNameAddr(target).uri,
      getHeaders(res, 'Record-Route').reverse(),
      parseCSeq(getHeader(req, 'CSeq') ?? '').seq,
      undefined,
      contact,
    );
  }

  /**
   * s.12.2.1.1 (loose routing, every Record-Route of the lab's Kamailio has ;lr): R-URI = remote target, Route = route set.
   * Via is added by the transport layer. ACK reuses the INVITE's CSeq number (pass `cseq`).
   */
  request(method: string, o: { headers?: Headers; body?: Buffer; contentType?: string; cseq?: number } = {}): SipRequest {
    const seq = o.cseq ?? ++this.localSeq;
    const hs: Headers = [
      ['Max-Forwards', '70'],
      ['From', `${this.localUri};tag=${this.localTag}`],
      ['To', `${this.remoteUri};tag=${this.remoteTag}`],
      ['Call-ID', this.callId],
      ['CSeq', `${seq} ${method}`],
      ...this.routeSet.map((r): [string, string] => ['Route', r]),
    ];
    if (method !== 'ACK' && method !== 'CANCEL') hs.push(['Contact', this.contact]);
    hs.push(...(o.headers ?? []));
    const body = o.body ?? Buffer.alloc(0);
    if (body.length) hs.push(['Content-Type', o.contentType ?? 'application/octet-stream']);
    return { kind: 'request', method, uri: this.remoteTarget, headers: hs, body };
  }

  /** s.12.2.2: CSeq must increase (false: answer 500). Updates the remote target on target-refresh requests. */
  acceptRemote(req: SipRequest): boolean {
    const seq = parseCSeq(getHeader(req, 'CSeq') ?? '').seq;
    if (req.method !== 'ACK' && req.method !== 'CANCEL') {
      if (this.remoteSeq !== undefined && seq <= this.remoteSeq) return false;
      this.remoteSeq = seq;
    }
    if (req.method === 'INVITE' || req.method === 'UPDATE' || req.method === 'SUBSCRIBE' || req.method === 'NOTIFY') {
      const c = getHeaders(req, 'Contact')[0];
      if (c) this.remoteTarget = parseNameAddr(c).uri;
    }
    return true;
  }
}

export const dialogId = (callId: string, localTag: string, remoteTag: string): string => `${callId}|${localTag}|${remoteTag}`;

/** Dialog id of a received in-dialog request (our tag is in To). */
export function dialogIdOfRequest(req: SipRequest): string | undefined {
  const l = tagOf(getHeader(req, 'To'));
  const r = tagOf(getHeader(req, 'From'));
  return l && r ? dialogId(getHeader(req, 'Call-ID') ?? '', l, r) : undefined;
}

function stripTag(v: string): string {
  const a = parseNameAddr(v);
  delete a.params.tag;
  const d = a.display ? `"${a.display.replace(/(["\\])/g, '\\$1')}" ` : '';
  const p = Object.entries(a.params)
    .map(([k, x]) => (x === '' ? `;${k}` : `;${k}=${x}`))
    .join('');
  return `${d}<${a.uri}>${p}`;
}
