// The feature API (docs/architecture.md "Adding a feature"): what a feature gets from the signed-in account
// (FeatureContext), what it gives back (an instance with stop() and, for session mode, a chat transport), and the
// handlers of its IPC channels. Shared by every feature folder; the composition root (main/ue/features.ts) lists them.
import type { EventChannel, EventPayload, UeBackend } from '../../app/ipc/contract';
import type { DeliveryResult } from '../base/delivery';
import type { SipUserAgent } from '../net/sip/ua';
import type { KeyStore } from '../security/keystore';
import type { E2EContext } from '../security/e2e';
import type { SecurityBundle } from '../security/bundle';
import type { HistoryStore } from '../store';
import type { MsrpEndpoint } from '../media/endpoint';
import type { InviteRouter } from '../media/invite-router';
import type { E2EPolicy } from '../media/types';
import type { PickedFiles } from './picked-files';

/** The account's end-to-end policy (account.json): 'require' seals everything, 'prefer' when a key is known, 'off' never. */
export type E2ePolicySetting = 'require' | 'prefer' | 'off';

/** What a feature gets from the signed-in account (main/ue/account.ts builds it; one per account). */
export interface FeatureContext {
  /** Normalized AoR (the history's account key). */
  aor: string;
  /** The account's directory in the profile (downloads, side files). */
  dir: string;
  /** Outbound proxy URL of the account (tls://, wss:// ... decide the MSRP scheme some features offer). */
  proxy: string;
  ua: SipUserAgent;
  ks: KeyStore;
  e2e: E2EContext;
  /** Identity, pins, PSKs and replay cache, built once per account. */
  security: SecurityBundle;
  store: HistoryStore;
  policy: E2ePolicySetting;
  /** The account's MSRP listeners and relay binding, shared by every feature (open() is idempotent). */
  endpoint: MsrpEndpoint;
  /** The account's INVITE router: a feature that takes INVITEs adds its route here (removed again in stop()). */
  router: InviteRouter;
  /** Files the user picked in main: the only ones a renderer-given path may name (picked-files.ts). */
  picked: PickedFiles;
  /** Emits an event to the UE's listeners (the renderer, the CLI). */
  emit<E extends EventChannel>(event: E, payload: EventPayload<E>): void;
  log(line: string): void;
}

/** A started feature: stop() undoes start() (routes removed, sessions ended); the account closes the shared parts. */
export interface FeatureInstance {
  stop(): Promise<void>;
  /** Session mode: a transport with a channel per peer that the UE's messaging core sends through. */
  chat?: ChannelTransport;
}

/** Backend methods a feature may answer (everything but the event source and close()). */
export type FeatureMethod = Exclude<keyof UeBackend, 'subscribe' | 'close'>;

/** How the running instance answers each of the feature's methods. */
export type FeatureHandlers<I, K extends FeatureMethod> = {
  [M in K]: (inst: I, req: Parameters<UeBackend[M]>[0]) => ReturnType<UeBackend[M]>;
};

export interface Feature<I extends FeatureInstance = FeatureInstance, K extends FeatureMethod = FeatureMethod> {
  /** Short name for logs and FEATURE_NOT_READY messages ('file transfer'). */
  name: string;
  /** Starts the feature for a signed-in account; a rejection leaves the feature unavailable for that account. */
  start(ctx: FeatureContext): Promise<I>;
  /** The IPC methods it answers (the UE's backend gets exactly these from it). */
  handlers: FeatureHandlers<I, K>;
  /** Answers while no instance runs (signed out, or start failed); the other methods throw FEATURE_NOT_READY then. */
  idle?: { [M in K]?: UeBackend[M] };
}

/** What every MSRP feature's engine takes from the context; 'prefer'/'off' accounts also take plaintext peers. */
export function msrpOptions(ctx: FeatureContext): {
  ua: SipUserAgent;
  endpoint: MsrpEndpoint;
  router: InviteRouter;
  security: SecurityBundle;
  policy: E2EPolicy;
} {
  const { ua, endpoint, router, security } = ctx;
  return { ua, endpoint, router, security, policy: ctx.policy === 'require' ? 'require' : 'allow-plaintext' };
}

/** Declares a feature with its types inferred (a feature folder exports one of these; main/ue/features.ts lists it). */
export function defineFeature<I extends FeatureInstance, K extends FeatureMethod = never>(f: Feature<I, K>): Feature<I, K> {
  return f;
}

// ---- chat transports: how one chat message leaves the UE (page mode or an MSRP session), seen from its messaging core

export interface OutgoingChat {
  peer: string;
  /** IMDN Message-ID and DateTime (ms) of the CPIM document. */
  messageId: string;
  dateTime: number;
  /** The CPIM document (RFC 3862), built once by the UE's messaging core; every transport carries it as is. */
  cpim: Uint8Array;
  /** Seal end to end (false only under the 'prefer' / 'off' policies). */
  protect: boolean;
}

export interface ChatTransport {
  readonly mode: 'page' | 'session';
  deliver(m: OutgoingChat): Promise<DeliveryResult>;
}

/** The content of a received chat message (CPIM-wrapped, RFC 3862), whichever feature received it. */
export interface ReceivedContent {
  /** Inner content type (text/plain;charset=utf-8, image/png ...). */
  contentType: string;
  body: Uint8Array;
  /** UTF-8 text for text/* bodies. */
  text?: string;
  imdnMessageId?: string;
  /** CPIM DateTime. */
  sentAt?: Date;
  receivedAt: Date;
  /** It arrived end-to-end protected. */
  protected: boolean;
}

/** Incoming traffic of a channel transport, as the UE's messaging core stores it. */
export interface InboundChat extends ReceivedContent {
  peer: string;
  fromDisplayName?: string;
  /** Protected, and the sender's key is not a changed, unconfirmed one. */
  verified: boolean;
  /** The channel ran over TLS (msrps). */
  tls: boolean;
}

/** Where a channel transport hands what arrives on its channels (the UE's messaging core). */
export interface ChatInbox {
  message(m: InboundChat): void;
  /** An is-composing indication (RFC 3994). */
  composing(peer: string, state: 'active' | 'idle'): void;
  /** A disposition notification (IMDN, RFC 5438) for one of our messages. */
  disposition(peer: string, imdnMessageId: string, kind: string, status: string): void;
}

/** A transport with one channel per peer (session mode): kept open while established, also carries is-composing. */
export interface ChannelTransport extends ChatTransport {
  /** An established channel with `peer` exists ('auto' keeps using it). */
  hasOpen(peer: string): boolean;
  /** is-composing over the open channel; false when none is open (the caller sends it in page mode). */
  sendTyping(peer: string, state: 'active' | 'idle'): Promise<boolean>;
  /** Where incoming messages, typing and IMDNs go (null: nowhere, e.g. while the account closes). */
  setInbox(inbox: ChatInbox | null): void;
}
