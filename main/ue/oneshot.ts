// One message through a full UE (profile keys, pins, history, E2E with key discovery) for command-line use: what
// `parley send` calls to send end-to-end protected by default. Waits on the message's events, bounded by timeoutMs.
import type { MessageView, Req } from '../../app/ipc/contract';
import { ParleyError } from '../base/errors';
import { createUe, type CreateUeOptions, type Ue } from './ue';

export interface SendOnceOptions {
  /** UE profile directory (account.json, key store, history). */
  profileDir: string;
  /** Sign in with this account (saved to the profile, password sealed); else the profile's saved account is used. */
  account?: Req<'account.configure'>;
  peer: string;
  text: string;
  mode?: 'auto' | 'page' | 'session';
  /** Resolve at the first of stored/sent (default) or wait for the peer's delivery notification. */
  until?: 'accepted' | 'delivered';
  timeoutMs: number;
  ue?: Partial<CreateUeOptions>;
}

export interface SendOnceResult {
  messageId: string;
  /** Last state seen; 'queued' after a timeout means the peer's key never arrived (the message stays queued in the
   *  profile and is sent by the next UE run once the key response arrives). */
  state: MessageView['state'];
  e2e: MessageView['e2e']['state'];
  failure?: MessageView['failure'];
  timedOut: boolean;
  /** The CPIM imdn.Message-ID of the message (what the peer sees). */
  imdnMessageId?: string;
}

export async function sendOnce(o: SendOnceOptions): Promise<SendOnceResult> {
  const ue: Ue = await createUe({ profileDir: o.profileDir, ...o.ue });
  try {
    if (o.account) await ue.accountConfigure(o.account);
    else {
      await ue.ready;
      if (!(await ue.accountGet({}))) throw new ParleyError('ACCOUNT_NOT_CONFIGURED', `no account saved in ${o.profileDir}`);
      await waitRegistered(ue, o.timeoutMs);
    }
    return await sendWithUe(ue, o);
  } finally {
    await ue.close();
  }
}

export interface SendWithUeOptions {
  peer: string;
  text: string;
  mode?: 'auto' | 'page' | 'session';
  until?: 'accepted' | 'delivered';
  timeoutMs: number;
}

/** One message through an already signed-in UE (the caller closes it): waits as sendOnce does. */
export async function sendWithUe(ue: Ue, o: SendWithUeOptions): Promise<SendOnceResult> {
  const conv = await ue.conversationsOpen({ peer: o.peer });
  const done = new Set<MessageView['state']>(
    o.until === 'delivered' ? ['delivered', 'displayed', 'failed'] : ['stored', 'sent', 'delivered', 'displayed', 'failed'],
  );
  let last: MessageView | undefined;
  let id: string | undefined;
  const early: MessageView[] = [];
  const result = new Promise<MessageView | undefined>((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(undefined);
    }, o.timeoutMs);
    const check = (m: MessageView) => {
      if (m.id !== id) return;
      last = m;
      if (done.has(m.state)) {
        clearTimeout(timer);
        off();
        resolve(m);
      }
    };
    const off = ue.subscribe((e) => {
      if (e.event !== 'message.upserted') return;
      if (id === undefined) early.push(e.payload);
      else check(e.payload);
    });
    void ue.messagesSend({ conversationId: conv.id, text: o.text, mode: o.mode }).then(
      (r) => {
        id = r.messageId;
        for (const m of early.splice(0)) check(m);
      },
      (e) => {
        clearTimeout(timer);
        off();
        resolve({
          id: '',
          state: 'failed',
          failure: { code: (e as ParleyError).code ?? 'UE_SEND_FAILED', reason: (e as Error).message },
        } as MessageView);
      },
    );
  });
  const final = await result;
  const m = final ?? last;
  let imdnMessageId: string | undefined;
  const store = ue.account()?.store;
  if (id && store) {
    try {
      imdnMessageId = store.getMessage(Number(id)).imdnMessageId ?? undefined;
    } catch {
      imdnMessageId = undefined;
    }
  }
  return {
    messageId: id ?? '',
    state: m?.state ?? 'queued',
    e2e: m?.e2e?.state ?? 'on',
    ...(m?.failure ? { failure: m.failure } : {}),
    timedOut: final === undefined,
    ...(imdnMessageId ? { imdnMessageId } : {}),
  };
}

/** Resolves once the UE's account is registered; SIP_REGISTER_TIMEOUT / SIP_REGISTRATION_FAILED (with the reason) otherwise. */
export function waitRegistered(ue: Ue, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let off = () => {};
    const timer = setTimeout(() => {
      off();
      reject(new ParleyError('SIP_REGISTER_TIMEOUT', `not registered within ${timeoutMs} ms`));
    }, timeoutMs);
    const judge = (state: string, reason?: string) => {
      if (state === 'registered') {
        clearTimeout(timer);
        off();
        resolve();
      } else if (state === 'error') {
        clearTimeout(timer);
        off();
        reject(new ParleyError('SIP_REGISTRATION_FAILED', reason ?? 'registration failed'));
      }
    };
    off = ue.subscribe((e) => {
      if (e.event === 'connection.changed') judge(e.payload.state, e.payload.reason);
    });
    void ue.connectionGet({}).then((c) => judge(c.state, c.reason));
  });
}
