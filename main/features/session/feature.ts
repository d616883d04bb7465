// The session-mode feature (docs/sessions.md): a ChatSessionManager on the account's MSRP endpoint and INVITE router
// (the default route), and the per-peer session transport the UE's messaging core sends through in session mode.
import { defineFeature, msrpOptions } from '../feature';
import { ChatSessionManager } from './manager';
import { SessionChatTransport } from './facade';

export const sessionFeature = defineFeature({
  name: 'session',
  async start(ctx) {
    const mgr = new ChatSessionManager(msrpOptions(ctx));
    mgr.on('error', () => {});
    await mgr.start();
    const chat = new SessionChatTransport(mgr, { isBlocked: (peer) => ctx.store.contacts.isBlocked(ctx.aor, peer), log: ctx.log });
    return {
      chat,
      async stop() {
        chat.setInbox(null);
        chat.closeAll();
        await mgr.stop();
      },
    };
  },
  handlers: {},
});
