// Account + connection slice: the configured account (public view), registration state and the link to main.
import { errorText, type Slice } from '../shared';
import type { AccountSlice } from './state';
import { validateAccountForm } from './form';

export const accountSlice: Slice<AccountSlice> = (client) => (set, get) => ({
  account: { view: null, loaded: false, busy: false, error: null, fieldErrors: {}, localLab: false },
  connection: { state: 'unconfigured', transport: 'none' },
  link: { status: 'connecting' },

  async loadAccount() {
    try {
      const [view, connection, caps] = await Promise.all([
        client.invoke('account.get', {}),
        client.invoke('connection.get', {}),
        // a backend that cannot say has no lab (the button stays hidden)
        client.invoke('account.capabilities', {}).catch(() => ({ localLab: false })),
      ]);
      set((s) => ({ account: { ...s.account, view, loaded: true, localLab: caps.localLab }, connection }));
      if (view) await get().loadConversations();
    } catch (e) {
      set((s) => ({ account: { ...s.account, loaded: true, error: errorText(e) } }));
    }
  },
  async configure(form) {
    const v = validateAccountForm(form);
    if (!v.ok) {
      set((s) => ({ account: { ...s.account, fieldErrors: v.errors, error: null } }));
      return false;
    }
    set((s) => ({ account: { ...s.account, busy: true, error: null, fieldErrors: {} } }));
    try {
      const view = await client.invoke('account.configure', v.request);
      set((s) => ({ account: { ...s.account, view, busy: false } }));
      await get().loadConversations();
      return true;
    } catch (e) {
      set((s) => ({ account: { ...s.account, busy: false, error: errorText(e) } }));
      return false;
    }
  },
  async signInLocalLab() {
    set((s) => ({ account: { ...s.account, busy: true, error: null, fieldErrors: {} } }));
    try {
      const view = await client.invoke('account.useLocalLab', {});
      set((s) => ({ account: { ...s.account, view, busy: false } }));
      await get().loadConversations();
    } catch (e) {
      set((s) => ({ account: { ...s.account, busy: false, error: errorText(e) } }));
    }
  },
  async signOut() {
    try {
      await client.invoke('account.signOut', {});
      get().setAccount(null);
    } catch (e) {
      get().notify('error', errorText(e));
    }
  },
  setAccount(view) {
    set((s) => ({ account: { ...s.account, view, loaded: true } }));
    if (view === null) get().resetConversations();
  },
  setConnection(connection) {
    set({ connection });
  },
  setLink(status, reason) {
    set({ link: { status, reason } });
  },
});
