// Chat conferences for one account (3GPP TS 24.247 s.5.3 / RFC 4579 factory + isfocus, RFC 5366 invite lists, RFC 4575,
// RFC 7701): create a room, join by URI, accept/decline focus invitations, rooms with group E2E (docs/conferences.md).
import { EventEmitter } from 'node:events';
import { ParleyError } from '../../base/errors';
import type { SipUserAgent } from '../../net/sip/ua';
import type { IncomingSipRequest } from '../../net/sip/incoming';
import type { MsrpEndpoint } from '../../media/endpoint';
import { ROUTE_PRIORITY, type InviteRouter } from '../../media/invite-router';
import { initCrypto } from '../../security/sodium';
import { normalizeAoR } from '../../security/aor';
import { FocusLeg, isFocusContact, type LegContext } from './focus-leg';
import { ConferenceRoom } from './room';
import type { SecurityBundle } from '../../security/bundle';

export interface ConferenceClientOptions {
  ua: SipUserAgent;
  /** The account's MSRP endpoint: legs to the focus use its plain (msrp) transport. */
  endpoint: MsrpEndpoint;
  /** The account's INVITE router: start() adds the focus-invitation route (Contact with isfocus). */
  router: InviteRouter;
  /** E2E identity and pins: rooms are group-encrypted when given (every outgoing message), plaintext otherwise. */
  security?: SecurityBundle;
  /** Home domain of room URIs (default: the AoR's domain); factory default sip:conf-factory@<domain>. */
  domain?: string;
  factoryUri?: string;
  maxMessageBytes?: number;
}

/** An INVITE from a focus (Contact with isfocus): accept() joins the room, decline() answers 603. */
export class FocusInvitation extends EventEmitter<{ cancelled: [] }> {
  private settled = false;
  constructor(
    readonly roomUri: string,
    readonly inviter: string | undefined,
    readonly subject: string | undefined,
    private readonly prepared: ReturnType<typeof FocusLeg.prepareIncoming>,
    private readonly open: (leg: FocusLeg) => ConferenceRoom,
  ) {
    super();
    prepared.cancelled.then(() => {
      if (!this.settled) {
        this.settled = true;
        this.emit('cancelled');
      }
    });
  }
  async accept(): Promise<ConferenceRoom> {
    if (this.settled) throw new ParleyError('CONF_BAD_STATE', 'invitation already answered or cancelled');
    this.settled = true;
    return this.open(await this.prepared.accept());
  }
  decline(status = 603): void {
    if (this.settled) return;
    this.settled = true;
    this.prepared.decline(status);
  }
}

export interface ConferenceClientEvents {
  invitation: [FocusInvitation];
  room: [ConferenceRoom];
  error: [ParleyError];
}

export class ConferenceClient extends EventEmitter<ConferenceClientEvents> {
  readonly ua: SipUserAgent;
  readonly domain: string;
  readonly factoryUri: string;
  private readonly rooms = new Map<string, ConferenceRoom>();
  private unroute: (() => void) | undefined;

  constructor(private readonly opts: ConferenceClientOptions) {
    super();
    this.ua = opts.ua;
    this.domain = opts.domain ?? normalizeAoR(opts.ua.account.aor).split('@')[1];
    this.factoryUri = opts.factoryUri ?? `sip:conf-factory@${this.domain}`;
  }

  private get ctx(): LegContext {
    const transport = this.opts.endpoint.transport(false);
    if (!transport) throw new ParleyError('CONF_NOT_STARTED', 'ConferenceClient.start() first');
    return { ua: this.ua, transport, maxMessageBytes: this.opts.maxMessageBytes };
  }

  /** Open the account's MSRP endpoint and take focus invitations (Contact with isfocus, RFC 4579 s.5). */
  async start(): Promise<void> {
    if (this.unroute) return;
    if (this.opts.security) await initCrypto();
    await this.opts.endpoint.open();
    this.unroute = this.opts.router.add({
      name: 'conference',
      priority: ROUTE_PRIORITY.sender,
      claims: (req) => isFocusContact(req.header('contact')),
      handle: (req) => this.onInvitation(req),
    });
  }

  get activeRooms(): ConferenceRoom[] {
    return [...this.rooms.values()];
  }
  room(uri: string): ConferenceRoom | undefined {
    return this.rooms.get(normalizeAoR(uri));
  }

  /** New room through the conference factory, inviting `invite` (RFC 5366 list in the INVITE). */
  async create(o: { invite?: string[]; subject?: string; timeoutMs?: number } = {}): Promise<ConferenceRoom> {
    this.assertStarted();
    const leg = await FocusLeg.dial(this.ctx, this.factoryUri, {
      invitees: o.invite,
      subject: o.subject,
      timeoutMs: o.timeoutMs,
      domain: this.domain,
    });
    return this.adopt(leg);
  }

  /** Join an existing room by its URI (sip:conf-<id>@domain). */
  async join(roomUri: string, o: { timeoutMs?: number } = {}): Promise<ConferenceRoom> {
    this.assertStarted();
    const have = this.room(roomUri);
    if (have && have.state === 'joined') return have;
    const leg = await FocusLeg.dial(this.ctx, roomUri, { timeoutMs: o.timeoutMs, domain: this.domain });
    return this.adopt(leg);
  }

  private adopt(leg: FocusLeg): ConferenceRoom {
    const room = new ConferenceRoom(leg.roomUri, this.ua, leg, this.opts.security);
    const key = normalizeAoR(leg.roomUri);
    this.rooms.set(key, room);
    room.on('state', (s) => {
      if (s !== 'joined' && this.rooms.get(key) === room) this.rooms.delete(key);
    });
    this.emit('room', room);
    return room;
  }

  private onInvitation(req: IncomingSipRequest): void {
    let prepared: ReturnType<typeof FocusLeg.prepareIncoming>;
    try {
      prepared = FocusLeg.prepareIncoming(this.ctx, req, this.domain);
    } catch (e) {
      if (!req.replied)
        req.reply(488, 'Not Acceptable Here', [
          `Warning: 399 parley "${String((e as Error).message)
            .replace(/["\\\r\n]/g, "'")
            .slice(0, 150)}"`,
        ]);
      return;
    }
    const referredBy = /<?(sips?:[^>;\s]+)/i.exec(req.header('referred-by') ?? '')?.[1];
    const inv = new FocusInvitation(prepared.roomUri, referredBy, req.header('subject'), prepared, (leg) => this.adopt(leg));
    if (this.listenerCount('invitation') === 0) {
      inv.decline(480);
      return;
    }
    this.emit('invitation', inv);
  }

  private assertStarted(): void {
    if (!this.unroute) throw new ParleyError('CONF_NOT_STARTED', 'ConferenceClient.start() first');
  }

  /** Leave every room and stop taking invitations (the endpoint's owner closes the MSRP transport). */
  async stop(): Promise<void> {
    for (const r of [...this.rooms.values()]) r.leave();
    this.rooms.clear();
    this.unroute?.();
    this.unroute = undefined;
  }
}
