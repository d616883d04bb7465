// One page-mode message to several recipients (3GPP TS 24.247 s.5.2 / TR clause Z.2.1.2): through the URI-list server
// (RFC 5365: multipart/mixed with a recipient-list, Require: recipient-list-message, 202) or to a predefined group PSI.
// With E2E, one envelope (one ciphertext, the content key wrapped per recipient, docs/security.md s.5.1) is what the
// server explodes. Per-recipient outcomes come back as IMDN delivery notifications (RFC 5438) via DeliveryTracker.
import { EventEmitter } from 'node:events';
import { ParleyError } from '../../base/errors';
import type { SipUserAgent } from '../../net/sip/ua';
import { buildChatCpim, serializeCpim, type ImdnDispositionRequest } from '../../protocol/formats/cpim';
import { newImdnMessageId, type ImdnNotification } from '../../protocol/formats/imdn';
import { buildUriListMessage, type CopyControl } from '../../protocol/formats/resource-lists';
import { E2E_CONTENT_TYPE, encodeEnvelopeBody, sealEnvelope, type SealRecipient } from '../../security/envelope';
import { normalizeAoR } from '../../security/aor';
import type { SecurityBundle } from '../../security/bundle';

export const LIST_OPTION_TAG = 'recipient-list-message';
/** Recipients per URI-list MESSAGE (the lab's list server allows 50; RFC 5365 leaves it to the server). */
export const MAX_LIST_RECIPIENTS = 50;

export type MultiContent = { text: string } | { contentType: string; body: Uint8Array | string };

export interface MultiSendOptions {
  ua: SipUserAgent;
  content: MultiContent;
  /** E2E identity and pins: the message is sealed once for every recipient (all must have a key: E2E_NO_RECIPIENT_KEY). */
  security?: SecurityBundle;
  notifications?: ImdnDispositionRequest[];
}

export interface MultiSendResult {
  /** 'accepted': the list server / PSI took it (202); delivery per recipient is reported later by IMDN. */
  status: 'accepted' | 'failed';
  code: number;
  reason: string;
  imdnMessageId: string;
  e2e: 'on' | 'off';
  recipients: string[];
  /** Shown to the user when E2E was not possible (group PSI without a known member list). */
  warning?: string;
}

function content(
  o: MultiSendOptions,
  from: string,
  to: string[],
  messageId: string,
): { contentType: string; body: string; e2e: 'on' | 'off' } {
  const c = o.content;
  const cpim = buildChatCpim({
    from,
    to,
    messageId,
    notifications: o.notifications ?? ['positive-delivery'],
    ...('text' in c ? { text: c.text } : { content: c }),
  });
  const bytes = serializeCpim(cpim);
  if (!o.security) return { contentType: 'message/cpim', body: Buffer.from(bytes).toString('utf8'), e2e: 'off' };
  const sec = o.security;
  const missing: string[] = [];
  const ready: SealRecipient[] = [];
  for (const r of to) {
    sec.peers.assertCanSend(r);
    const identityKey = sec.peers.pinnedKey(r);
    const psk = sec.psk?.(r);
    if (!identityKey && !psk) missing.push(r);
    else ready.push({ aor: r, identityKey, psk });
  }
  if (missing.length) throw new ParleyError('E2E_NO_RECIPIENT_KEY', `no key for ${missing.join(', ')}: request keys first`, { missing });
  const env = sealEnvelope({ sender: sec.identity, recipients: ready, messageId, dateTime: Date.parse(cpim.dateTime!), plaintext: bytes });
  return { contentType: E2E_CONTENT_TYPE, body: encodeEnvelopeBody(env), e2e: 'on' };
}

function targets(list: string[], me: string): string[] {
  const out: string[] = [];
  for (const r of list) {
    const a = normalizeAoR(r);
    if (a !== me && !out.includes(a)) out.push(a);
  }
  return out;
}

/** RFC 5365 URI-list MESSAGE to the list server (default sip:list@<domain>). */
export async function sendToList(
  o: MultiSendOptions & { recipients: string[]; listUri?: string; copyControl?: CopyControl },
): Promise<MultiSendResult> {
  const me = normalizeAoR(o.ua.account.aor);
  const to = targets(o.recipients, me);
  if (!to.length) throw new ParleyError('MULTI_NO_RECIPIENTS', 'no recipients (other than yourself)');
  if (to.length > MAX_LIST_RECIPIENTS)
    throw new ParleyError('MULTI_TOO_MANY_RECIPIENTS', `at most ${MAX_LIST_RECIPIENTS} recipients per message`, {
      max: MAX_LIST_RECIPIENTS,
    });
  const imdnMessageId = newImdnMessageId();
  const c = content(o, me, to, imdnMessageId);
  // bcc by default: copies then carry the message part unchanged (receivers do not take multipart/mixed yet, see
  // docs/conferences.md); an E2E envelope names every recipient in its signed header anyway
  const mp = buildUriListMessage({
    recipients: to.map((uri) => ({ uri, copyControl: o.copyControl ?? 'bcc' })),
    message: { contentType: c.contentType, headers: [], body: Buffer.from(c.body) },
  });
  const listUri = o.listUri ?? `sip:list@${me.split('@')[1]}`;
  const r = await o.ua.sendMessage(listUri, Buffer.from(mp.body).toString('utf8'), mp.contentType, [`Require: ${LIST_OPTION_TAG}`]);
  return outcome(r, imdnMessageId, c.e2e, to);
}

/**
 * MESSAGE to a predefined group PSI (sip:group-<name>@<domain>). The server knows the members; to seal end to end the
 * client must know them too (`members`, from configuration). Without them E2E is impossible: refused unless
 * `allowPlaintext`, in which case the message goes in clear with a warning.
 */
export async function sendToGroup(
  o: MultiSendOptions & { group: string; members?: string[]; allowPlaintext?: boolean },
): Promise<MultiSendResult> {
  const me = normalizeAoR(o.ua.account.aor);
  const group = normalizeAoR(o.group);
  let warning: string | undefined;
  let opts: MultiSendOptions = o;
  if (o.security && !o.members?.length) {
    if (!o.allowPlaintext)
      throw new ParleyError(
        'MULTI_GROUP_MEMBERS_UNKNOWN',
        `the members of ${group} are not known here: cannot seal end to end (configure them, or allow plaintext)`,
        { group },
      );
    warning = `${group}: members unknown, sent WITHOUT end-to-end encryption`;
    opts = { ...o, security: undefined };
  }
  const to = o.members?.length ? targets(o.members, me) : [group];
  const imdnMessageId = newImdnMessageId();
  const c = content(opts, me, to, imdnMessageId);
  const r = await o.ua.sendMessage(group, c.body, c.contentType);
  return { ...outcome(r, imdnMessageId, c.e2e, to), ...(warning ? { warning } : {}) };
}

function outcome(
  r: { statusCode: number; reasonPhrase: string },
  imdnMessageId: string,
  e2e: 'on' | 'off',
  recipients: string[],
): MultiSendResult {
  return {
    status: r.statusCode >= 200 && r.statusCode < 300 ? 'accepted' : 'failed',
    code: r.statusCode,
    reason: r.reasonPhrase,
    imdnMessageId,
    e2e,
    recipients,
  };
}

export type RecipientState = 'accepted' | 'delivered' | 'displayed' | 'failed';
export interface RecipientOutcome {
  recipient: string;
  state: RecipientState;
  status?: string;
  at?: Date;
}

/**
 * Per-recipient outcome of one multi-recipient message from the IMDNs the recipients send back (RFC 5438 s.7). Feed it
 * every IMDN received (sealed ones after opening): onImdn(from, notification).
 */
export class DeliveryTracker extends EventEmitter<{ outcome: [RecipientOutcome]; complete: [RecipientOutcome[]] }> {
  private readonly states = new Map<string, RecipientOutcome>();
  constructor(
    readonly imdnMessageId: string,
    recipients: string[],
  ) {
    super();
    for (const r of recipients) this.states.set(normalizeAoR(r), { recipient: normalizeAoR(r), state: 'accepted' });
  }

  get outcomes(): RecipientOutcome[] {
    return [...this.states.values()];
  }
  get complete(): boolean {
    return this.outcomes.every((o) => o.state !== 'accepted');
  }

  /** Returns true when the notification was about this message and from one of its recipients. */
  onImdn(from: string, n: ImdnNotification): boolean {
    if (n.messageId !== this.imdnMessageId) return false;
    let aor: string;
    try {
      aor = normalizeAoR(from);
    } catch {
      return false;
    }
    const cur = this.states.get(aor);
    if (!cur) return false;
    const state: RecipientState =
      n.kind === 'display'
        ? n.status === 'displayed'
          ? 'displayed'
          : 'failed'
        : n.kind === 'delivery'
          ? n.status === 'delivered'
            ? 'delivered'
            : 'failed'
          : cur.state;
    if (cur.state === 'displayed' || (cur.state === 'delivered' && state === 'delivered')) return true;
    const next = { recipient: aor, state, status: n.status, at: new Date() };
    this.states.set(aor, next);
    this.emit('outcome', next);
    if (this.complete) this.emit('complete', this.outcomes);
    return true;
  }

  /** Resolves when every recipient reported, or after timeoutMs with whatever is known ('accepted' = no news yet). */
  wait(timeoutMs: number): Promise<RecipientOutcome[]> {
    if (this.complete) return Promise.resolve(this.outcomes);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.off('complete', done);
        resolve(this.outcomes);
      }, timeoutMs);
      const done = () => {
        clearTimeout(t);
        resolve(this.outcomes);
      };
      this.once('complete', done);
    });
  }
}
