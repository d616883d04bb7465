// Sans-IO decoding of one received MSRP message of a chat session: E2E frame (wire.ts) -> CPIM (RFC 3862) -> chat
// message, IMDN (RFC 5438 s.7) or is-composing (RFC 3994); bare content from plaintext third-party clients.
import { ParleyError, isParleyError, type ErrorCode } from '../../base/errors';
import { parseCpim, serializeCpim, cpimHeader, requestedNotifications, IMDN_NS_URI, type CpimMessage } from '../../protocol/formats/cpim';
import { buildImdnReply, isImdnCpim, parseImdn } from '../../protocol/formats/imdn';
import { parseIsComposing } from '../../protocol/formats/is-composing';
import { normalizeAoR } from '../../security/aor';
import { isE2eContentType, type EpochCipher } from './wire';
import { CPIM_TYPE, ISCOMPOSING_TYPE } from '../../media/types';
import type { ChatMessage, DeliveryNotification, TypingEvent } from './types';

export type Inbound =
  | {
      kind: 'message';
      message: ChatMessage;
      /** CPIM IMDN delivery notification to send back (positive-delivery asked). */ imdnReply?: Uint8Array;
    }
  | { kind: 'typing'; event: TypingEvent }
  | { kind: 'delivery'; event: DeliveryNotification }
  /** Refused; fatal: the session cannot continue (E2E sequence broken or forged frame). */
  | { kind: 'refused'; error: ParleyError; fatal: boolean };

export interface InboundContext {
  /** Present on protected sessions: only E2E frames are accepted. */
  cipher?: EpochCipher;
  /** Normalized AoR authenticated by the key agreement (protected sessions). */
  authenticatedPeer?: string;
  peerAor: string;
  localAor: string;
}

const wrap = (e: unknown, code: ErrorCode): ParleyError =>
  isParleyError(e) ? e : new ParleyError(code, String((e as Error)?.message ?? e));

export function decodeInbound(
  ctx: InboundContext,
  msrpMessageId: string,
  contentType: string | undefined,
  body: Uint8Array,
  receivedAt = new Date(),
): Inbound {
  let plain = body;
  let type = contentType ?? 'application/octet-stream';
  if (ctx.cipher) {
    if (!isE2eContentType(type)) {
      return {
        kind: 'refused',
        fatal: false,
        error: new ParleyError('E2E_PLAINTEXT_IN_PROTECTED_SESSION', `unencrypted ${type} in a protected session refused`),
      };
    }
    try {
      plain = ctx.cipher.open(type, body);
    } catch (e) {
      const pe = wrap(e, 'E2E_TAMPERED');
      // the strict sequence cannot recover from a forged or missing frame (docs/security.md s.5.5)
      return {
        kind: 'refused',
        fatal: true,
        error: new ParleyError(pe.code, `protected MSRP message rejected: ${pe.message}`, { msrpMessageId, ...pe.details }),
      };
    }
    type = CPIM_TYPE;
  } else if (isE2eContentType(type)) {
    return {
      kind: 'refused',
      fatal: false,
      error: new ParleyError('E2E_NO_SESSION_KEYS', 'encrypted MSRP body in a session without key agreement'),
    };
  }
  const base = type.split(';')[0].trim().toLowerCase();
  if (base === ISCOMPOSING_TYPE) return typing(plain, ctx.peerAor);
  if (base !== CPIM_TYPE) {
    // bare content from a third-party client (RFC 4975 allows it when both accept the type)
    return {
      kind: 'message',
      message: {
        from: ctx.peerAor,
        contentType: type,
        body: plain,
        text: textOf(type, plain),
        receivedAt,
        protected: false,
        msrpMessageId,
        mode: 'session',
      },
    };
  }
  let cpim: CpimMessage;
  try {
    cpim = parseCpim(plain);
  } catch (e) {
    return { kind: 'refused', fatal: false, error: wrap(e, 'CPIM_MALFORMED') };
  }
  const from = cpim.from?.uri ?? ctx.peerAor;
  if (ctx.authenticatedPeer && normalizeSafe(from) !== ctx.authenticatedPeer) {
    return {
      kind: 'refused',
      fatal: false,
      error: new ParleyError('E2E_SENDER_MISMATCH', `CPIM From ${from} is not the authenticated peer ${ctx.authenticatedPeer}`),
    };
  }
  if (isImdnCpim(cpim)) {
    try {
      const n = parseImdn(cpim.body);
      return { kind: 'delivery', event: { imdnMessageId: n.messageId, kind: n.kind, status: n.status, from } };
    } catch (e) {
      return { kind: 'refused', fatal: false, error: wrap(e, 'IMDN_MALFORMED') };
    }
  }
  if (cpim.contentType.split(';')[0].trim().toLowerCase() === ISCOMPOSING_TYPE) return typing(cpim.body, from);
  const imdnMessageId = cpimHeader(cpim, IMDN_NS_URI, 'Message-ID');
  const message: ChatMessage = {
    from,
    fromDisplayName: cpim.from?.name,
    to: cpim.to[0]?.uri,
    contentType: cpim.contentType,
    body: cpim.body,
    text: textOf(cpim.contentType, cpim.body),
    imdnMessageId,
    sentAt: cpim.dateTime ? new Date(cpim.dateTime) : undefined,
    receivedAt,
    protected: !!ctx.cipher,
    msrpMessageId,
    mode: 'session',
  };
  let imdnReply: Uint8Array | undefined;
  if (imdnMessageId && cpim.dateTime && requestedNotifications(cpim).includes('positive-delivery')) {
    try {
      imdnReply = serializeCpim(buildImdnReply(cpim, { from: ctx.localAor, kind: 'delivery', status: 'delivered' }));
    } catch {
      imdnReply = undefined; // the message itself is fine; an unusable IMDN request is ignored
    }
  }
  return { kind: 'message', message, imdnReply };
}

function typing(doc: Uint8Array, from: string): Inbound {
  try {
    return { kind: 'typing', event: { state: parseIsComposing(doc).state, from } };
  } catch (e) {
    return { kind: 'refused', fatal: false, error: wrap(e, 'ISCOMPOSING_MALFORMED') };
  }
}

export function textOf(contentType: string, body: Uint8Array): string | undefined {
  if (!/^text\//i.test(contentType.trim())) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
}

function normalizeSafe(uri: string): string {
  try {
    return normalizeAoR(uri);
  } catch {
    return uri;
  }
}
