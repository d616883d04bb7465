// Test helpers for conference lab tests: lab + app server (conference focus, list server), registered conference clients,
// bounded waits on events. Not product code.
import type { EventEmitter } from 'node:events';
import { startLab, freePorts, type Lab } from '../../../network/lab';
import { startAppServer, type AppServer, type GroupConfig } from '../../../network/appserver/server';
import { usePatchedLabCfg } from '../../../network/appserver/lab-patch';
import { SipUserAgent } from '../../net/sip/ua';
import { accountFor, nextEvent } from '../../net/sip/testing';
import { ephemeralSecurity } from '../../security/bundle';
import { ConferenceClient } from './client';
import { accountMedia, type AccountMedia } from '../../media/account-media';
import type { SecurityBundle } from '../../security/bundle';

export const WAIT_MS = 15_000;

export interface ConfLab {
  lab: Lab;
  as: AppServer;
  stop(): Promise<void>;
}

/** Kamailio with the app-server hook + the app server on free ports (docs/appserver.md). */
export async function startConfLab(o: {
  users: string[];
  groups?: GroupConfig;
  maxParticipants?: number;
  log?: (l: string) => void;
}): Promise<ConfLab> {
  const unpatch = usePatchedLabCfg();
  const [asPort] = await freePorts(1);
  const log =
    o.log ??
    ((l: string) => {
      if (process.env.CONF_DEBUG) console.error(l);
    });
  let lab: Lab | undefined;
  try {
    lab = await startLab({ appServerPort: asPort, log, accounts: o.users.map((u) => ({ user: u, password: `${u}-secret` })) });
    const as = await startAppServer({
      port: asPort,
      proxy: { host: '127.0.0.1', port: lab.ports.sip },
      domain: lab.domain,
      log,
      groups: o.groups,
      limits: { emptyRoomGraceMs: 2000, ...(o.maxParticipants ? { maxParticipants: o.maxParticipants } : {}) },
    });
    const l = lab;
    return {
      lab: l,
      as,
      async stop() {
        await as.stop();
        await l.stop();
        unpatch();
      },
    };
  } catch (e) {
    await lab?.stop();
    unpatch();
    throw e;
  }
}

export interface Member {
  user: string;
  aor: string;
  ua: SipUserAgent;
  media: AccountMedia;
  client: ConferenceClient;
  security?: SecurityBundle;
}

export class MemberPool {
  readonly members: Member[] = [];
  /** `beforeClient` runs after registration, before the conference client starts (e.g. add another INVITE route). */
  async create(lab: Lab, user: string, o: { e2e?: boolean; beforeClient?: (m: Member) => Promise<void> } = {}): Promise<Member> {
    const ua = new SipUserAgent(accountFor(lab, user, 'tcp'));
    ua.on('error', () => {});
    const aor = lab.aor(user);
    const security = o.e2e === false ? undefined : await ephemeralSecurity(aor);
    const media = accountMedia(ua);
    const client = new ConferenceClient({ ua, endpoint: media.endpoint, router: media.router, security });
    client.on('error', () => {});
    const m = { user, aor, ua, media, client, security };
    this.members.push(m);
    await ua.start();
    await o.beforeClient?.(m);
    await client.start();
    return m;
  }
  async stopAll(): Promise<void> {
    await Promise.all(
      this.members.splice(0).map(async (m) => {
        await m.client.stop().catch(() => {});
        await m.media.close();
        await m.ua.stop().catch(() => {});
      }),
    );
  }
}

/** First event `name` matching pred within ms (main/net/sip/testing.ts nextEvent with this file's bound). */
export function waitEvent<T>(em: EventEmitter, name: string, pred: (v: T) => boolean = () => true, ms = WAIT_MS): Promise<T> {
  return nextEvent<T>(em, name, pred, ms);
}

/** Poll a condition until true (state reached through several events), bounded. */
export async function until(cond: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
