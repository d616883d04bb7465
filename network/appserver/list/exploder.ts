// URI-list server for MESSAGE (RFC 5365 s.4-5, copy control and anonymity per RFC 5364) and predefined group PSIs (3GPP TS 24.247 s.5.x).
import { buildMultipart } from '../../../main/protocol/formats/multipart';
import { parseUriListMessage, serializeResourceList, type ResourceListEntry } from '../../../main/protocol/formats/resource-lists';
import { randomToken, type Responder } from '../sip/endpoint';
import { aorOf, getHeader, parseNameAddr, parseSipUri, type Headers, type SipRequest } from '../sip/message';
import { assertedIdentity, domainKind, warning, type AsContext } from '../context';

export const LIST_OPTION_TAG = 'recipient-list-message';
/** Stand-in URI for anonymized recipients in the list each copy carries (RFC 5365 s.4.3, RFC 3323 style). */
export const ANONYMOUS_URI = 'sip:anonymous@anonymous.invalid';

export type Outcome = 'delivered' | 'stored' | 'failed' | 'skipped';
export interface DeliveryReport {
  /** The list or group URI the sender addressed. */
  service: string;
  sender: string;
  callId: string;
  results: Array<{ recipient: string; outcome: Outcome; status: number; reason: string }>;
}

export interface GroupConfig {
  [name: string]: { members: string[] };
}

/** Service URIs we never fan out to (no loops through the app server). */
const SERVICE_USER = /^(conf-|chat-|list|group-|keys$)/i;

export class ListServer {
  constructor(
    private readonly ctx: AsContext,
    private groups: GroupConfig,
    private readonly onReport: (r: DeliveryReport) => void,
  ) {}

  static handles(user: string): boolean {
    return /^list/i.test(user) || /^group-[a-z0-9._-]+$/i.test(user);
  }

  setGroups(g: GroupConfig): void {
    this.groups = g;
  }

  onRequest(req: SipRequest, r: Responder, user: string): void {
    if (req.method !== 'MESSAGE') {
      r.respond(405, { headers: [['Allow', 'MESSAGE, OPTIONS']] });
      return;
    }
    const id = assertedIdentity(req, this.ctx);
    // The copies go out From the sender: the peer network accepts only its own users' identities from our proxy, so
    // a peer user's message could not reach its own network's recipients from here (docs/lab.md "Two networks").
    if (!id || id.kind !== 'home') {
      r.respond(403, { headers: [warning(this.ctx.domain, 'only authenticated users of this domain may send through this service')] });
      return;
    }
    const sender = id.aor;
    if (/^group-/i.test(user)) this.group(req, r, user.toLowerCase(), sender);
    else this.uriList(req, r, sender);
  }

  /** RFC 5365: multipart/mixed with the message and a recipient-list; answered 202, then one MESSAGE per recipient. */
  private uriList(req: SipRequest, r: Responder, sender: string): void {
    const requires = (getHeader(req, 'Require') ?? '').split(',').map((s) => s.trim().toLowerCase());
    if (!requires.includes(LIST_OPTION_TAG)) {
      r.respond(403, { headers: [warning(this.ctx.domain, `a URI-list MESSAGE needs Require: ${LIST_OPTION_TAG}`)] });
      return;
    }
    let parsed;
    try {
      parsed = parseUriListMessage(getHeader(req, 'Content-Type') ?? '', req.body);
    } catch (e) {
      r.respond(400, { headers: [warning(this.ctx.domain, (e as Error).message)] });
      return;
    }
    const recipients = dedupe(parsed.recipients);
    if (recipients.length > this.ctx.limits.maxRecipients) {
      r.respond(403, { headers: [warning(this.ctx.domain, `too many recipients (max ${this.ctx.limits.maxRecipients})`)] });
      return;
    }
    r.respond(202);
    const history = recipients
      .filter((e) => (e.copyControl ?? 'to') !== 'bcc')
      .map((e): ResourceListEntry =>
        e.anonymize
          ? { uri: ANONYMOUS_URI, copyControl: e.copyControl ?? 'to' }
          : { uri: e.uri, displayName: e.displayName, copyControl: e.copyControl ?? 'to' },
      );
    let body = Buffer.from(parsed.message.body);
    let contentType = parsed.message.contentType;
    if (history.length) {
      // RFC 5365 s.4.2: copies carry the (non-bcc, anonymized) list with Content-Disposition: recipient-list-history
      const mp = buildMultipart([
        { headers: [{ name: 'Content-Type', value: parsed.message.contentType }, ...parsed.message.headers], body: parsed.message.body },
        {
          headers: [
            { name: 'Content-Type', value: 'application/resource-lists+xml' },
            { name: 'Content-Disposition', value: 'recipient-list-history; handling=optional' },
          ],
          body: serializeResourceList(history),
        },
      ]);
      body = Buffer.from(mp.body);
      contentType = mp.contentType;
    }
    this.explode(
      req,
      sender,
      req.uri,
      recipients.map((e) => e.uri),
      { contentType, body },
    );
  }

  /** A predefined group: every member except the sender gets the MESSAGE as sent; only members may post. */
  private group(req: SipRequest, r: Responder, user: string, sender: string): void {
    const g = this.groups[user.slice('group-'.length)];
    if (!g) {
      r.respond(404, { headers: [warning(this.ctx.domain, `no such group ${user}`)] });
      return;
    }
    const members = dedupe(g.members.map((uri) => ({ uri })));
    if (!members.some((m) => safeAor(m.uri) === sender)) {
      r.respond(403, { headers: [warning(this.ctx.domain, `${sender} is not a member of ${user}`)] });
      return;
    }
    r.respond(202);
    const ct = getHeader(req, 'Content-Type') ?? 'text/plain';
    this.explode(
      req,
      sender,
      `sip:${user}@${this.ctx.domain}`,
      members.map((m) => m.uri).filter((u) => safeAor(u) !== sender),
      { contentType: ct, body: req.body },
      true,
    );
  }

  private explode(
    req: SipRequest,
    sender: string,
    service: string,
    recipients: string[],
    content: { contentType: string; body: Buffer },
    viaGroup = false,
  ): void {
    const from = parseNameAddr(getHeader(req, 'From') ?? `<${sender}>`);
    const report: DeliveryReport = { service, sender, callId: getHeader(req, 'Call-ID') ?? '', results: [] };
    let pending = recipients.length;
    const done = (recipient: string, outcome: Outcome, status: number, reason: string) => {
      report.results.push({ recipient, outcome, status, reason });
      this.ctx.log(`${service}: ${sender} -> ${recipient}: ${outcome} (${status} ${reason})`);
      if (--pending === 0) this.onReport(report);
    };
    if (pending === 0) {
      this.onReport(report);
      return;
    }
    for (const to of recipients) {
      let target: string;
      try {
        target = aorOf(to);
      } catch {
        done(to, 'skipped', 0, 'invalid URI');
        continue;
      }
      const u = parseSipUri(target);
      const where = domainKind(this.ctx, u.host);
      if (u.user && SERVICE_USER.test(u.user) && where !== 'foreign') {
        done(target, 'skipped', 0, 'service URI (loop prevention)');
        continue;
      }
      if (where === 'foreign') {
        // our proxy relays only to its own users and the peer networks (it would answer 403)
        done(target, 'skipped', 0, 'outside this network and its peer networks');
        continue;
      }
      const hs: Headers = [
        ['Max-Forwards', '70'],
        // the original sender, as asserted (a fresh tag: this is a new request, RFC 5365 s.4.1)
        ['From', `${from.display ? `"${from.display.replace(/(["\\])/g, '\\$1')}" ` : ''}<${sender}>;tag=${randomToken(4)}`],
        ['To', viaGroup ? `<${service}>` : `<${target}>`],
        ['Call-ID', `${randomToken(10)}@${this.ctx.domain}`],
        ['CSeq', '1 MESSAGE'],
        ['P-Asserted-Identity', `<${sender}>`],
        ['Content-Type', content.contentType],
      ];
      if (viaGroup) hs.push(['Referred-By', `<${service}>`]);
      this.ctx.endpoint.send(
        { kind: 'request', method: 'MESSAGE', uri: target, headers: hs, body: content.body },
        {
          onFinal: (res) => done(target, res.status === 202 ? 'stored' : res.status < 300 ? 'delivered' : 'failed', res.status, res.reason),
        },
      );
    }
  }
}

function safeAor(u: string): string | undefined {
  try {
    return aorOf(u);
  } catch {
    return undefined;
  }
}

/** RFC 5365 s.4.1: the server removes duplicate URIs (compared as AoRs). */
function dedupe(list: ResourceListEntry[]): ResourceListEntry[] {
  const seen = new Set<string>();
  return list.filter((e) => {
    const k = safeAor(e.uri) ?? e.uri;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
