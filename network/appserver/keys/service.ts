// sip:keys@<home domain>: the prekey directory over SIP MESSAGE. The request is answered with a final response (errors
// carry a Warning); the result travels back as a MESSAGE from the service to the requester, because RFC 3428 s.7 gives
// a 2xx to MESSAGE no body (docs/security.md s.5.7).
import { ParleyError } from '../../../main/base/errors';
import {
  PREKEYS_CONTENT_TYPE,
  DIRECTORY_USER,
  MAX_DIRECTORY_BODY,
  parseDirectoryRequest,
  encodeDirectoryReply,
  type DirectoryReply,
} from '../../../main/protocol/formats/prekeys';
import { randomToken, type Responder } from '../sip/endpoint';
import { getHeader, type SipRequest } from '../sip/message';
import { assertedIdentity, warning, type AsContext, type Identity } from '../context';
import type { KeyDirectory } from './directory';

const STATUS: Record<string, number> = {
  KEYDIR_BAD_REQUEST: 400,
  KEYDIR_FORBIDDEN: 403,
  KEYDIR_NOT_FOUND: 404,
  KEYDIR_TOO_LARGE: 413,
  KEYDIR_TOO_MANY: 403,
  KEYDIR_FULL: 503,
  SEC_BAD_AOR: 400,
};

export class KeyService {
  constructor(
    private readonly ctx: AsContext,
    private readonly dir: KeyDirectory,
    private readonly now: () => number = Date.now,
  ) {}

  static handles(user: string): boolean {
    return user === DIRECTORY_USER;
  }

  get uri(): string {
    return `sip:${DIRECTORY_USER}@${this.ctx.domain}`;
  }

  onRequest(req: SipRequest, r: Responder): void {
    const d = this.ctx.domain;
    if (req.method !== 'MESSAGE') {
      r.respond(405, { headers: [['Allow', 'MESSAGE, OPTIONS']] });
      return;
    }
    const id = assertedIdentity(req, this.ctx);
    if (!id) {
      r.respond(403, { headers: [warning(d, 'only authenticated users of this domain or a peer network may use the key directory')] });
      return;
    }
    const ct = (getHeader(req, 'Content-Type') ?? '').split(';')[0].trim().toLowerCase();
    if (ct !== PREKEYS_CONTENT_TYPE) {
      r.respond(415, { headers: [['Accept', PREKEYS_CONTENT_TYPE]] });
      return;
    }
    if (req.body.length > MAX_DIRECTORY_BODY) {
      r.respond(413, { headers: [warning(d, `body exceeds ${MAX_DIRECTORY_BODY} bytes`)] });
      return;
    }
    void this.handle(req, r, id);
  }

  private async handle(req: SipRequest, r: Responder, id: Identity): Promise<void> {
    const d = this.ctx.domain;
    const requester = id.aor;
    let reply: DirectoryReply;
    try {
      const q = parseDirectoryRequest(req.body);
      const now = this.now();
      if (q.op !== 'fetch' && id.kind !== 'home') {
        r.respond(403, { headers: [warning(d, 'only users of this domain publish here; a peer network user may fetch')] });
        return;
      }
      if (q.op === 'publish') {
        const n = await this.dir.publish(requester, q.bundle, q.oneTime, q.replaceOneTime, now);
        reply = { v: 1, op: 'publish', re: q.id, oneTimeCount: n };
      } else if (q.op === 'fetch') {
        const got = await this.dir.fetch(requester, q.aor, now);
        if (!got) {
          r.respond(404, { headers: [warning(d, `${q.aor} has published no prekeys`)] });
          return;
        }
        reply = { v: 1, op: 'fetch', re: q.id, aor: q.aor, bundle: got.bundle, oneTime: got.oneTime };
      } else {
        reply = { v: 1, op: 'status', re: q.id, ...this.dir.status(requester) };
      }
    } catch (e) {
      const known = e instanceof ParleyError && STATUS[e.code] !== undefined;
      this.ctx.log(`keys: ${requester}: ${known ? '' : 'internal error: '}${(e as Error).message}`);
      r.respond(known ? STATUS[(e as ParleyError).code] : 500, { headers: [warning(d, known ? (e as Error).message : 'internal error')] });
      return;
    }
    r.respond(200);
    this.sendReply(requester, reply);
  }

  /** The result, as a MESSAGE from the service (asserted by the app server, which the proxy trusts). */
  private sendReply(to: string, reply: DirectoryReply): void {
    this.ctx.endpoint.send(
      {
        kind: 'request',
        method: 'MESSAGE',
        uri: to,
        headers: [
          ['Max-Forwards', '70'],
          ['From', `<${this.uri}>;tag=${randomToken(4)}`],
          ['To', `<${to}>`],
          ['Call-ID', `${randomToken(10)}@${this.ctx.domain}`],
          ['CSeq', '1 MESSAGE'],
          ['P-Asserted-Identity', `<${this.uri}>`],
          ['Content-Type', PREKEYS_CONTENT_TYPE],
        ],
        body: Buffer.from(encodeDirectoryReply(reply)),
      },
      { onFinal: (res) => this.ctx.log(`keys: ${reply.op} reply to ${to}: ${res.status} ${res.reason}`) },
    );
  }
}
