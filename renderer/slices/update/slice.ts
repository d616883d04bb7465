// Update slice: what the shell says about application updates (app/updater.ts in Electron; the web host answers
// `unsupported`), and the user's "Restart to update" / "Later".
import { errorText, type Slice } from '../shared';
import type { UpdateSlice } from './state';

export const updateSlice: Slice<UpdateSlice> = (client) => (set, get) => ({
  update: { view: null, dismissed: null, installing: false },

  async loadUpdate() {
    try {
      const view = await client.invoke('update.get', {});
      set((s) => ({ update: { ...s.update, view } }));
    } catch {
      // An older shell without the channel: nothing to show.
    }
  },
  setUpdate(view) {
    set((s) => ({ update: { ...s.update, view } }));
  },
  async installUpdate() {
    set((s) => ({ update: { ...s.update, installing: true } }));
    try {
      await client.invoke('update.install', {});
    } catch (e) {
      set((s) => ({ update: { ...s.update, installing: false } }));
      get().notify('error', errorText(e));
    }
  },
  dismissUpdate() {
    set((s) => ({ update: { ...s.update, dismissed: s.update.view?.version ?? null } }));
  },
});
