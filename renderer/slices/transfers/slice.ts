// Transfers slice: file transfers per conversation (views from main's transfer.upserted), the send-file form, and the
// actions for files.* channels. The renderer never reads files: it passes a path (typed, or from Electron's drop/dialog).
import { FEATURE_UNAVAILABLE } from '../../../app/ipc/contract';
import { errorText, type Slice } from '../shared';
import type { TransfersSlice } from './state';

export const transfersSlice: Slice<TransfersSlice> = (client) => (set, get) => ({
  transfers: { byConv: {}, revealed: {}, sendError: {}, unavailable: false },

  upsertTransfer(v) {
    set((s) => {
      const conv = s.transfers.byConv[v.conversationId] ?? {};
      return { transfers: { ...s.transfers, byConv: { ...s.transfers.byConv, [v.conversationId]: { ...conv, [v.id]: v } } } };
    });
  },
  async loadTransfers(conversationId) {
    try {
      const list = await client.invoke('files.list', { conversationId });
      for (const v of list) get().upsertTransfer(v);
    } catch (e) {
      if ((e as { code?: string }).code === FEATURE_UNAVAILABLE) set((s) => ({ transfers: { ...s.transfers, unavailable: true } }));
    }
  },
  async sendFile(conversationId, path) {
    const p = path.trim();
    const setErr = (msg: string | undefined) =>
      set((s) => ({ transfers: { ...s.transfers, sendError: { ...s.transfers.sendError, [conversationId]: msg } } }));
    if (!/^(?:\/|[A-Za-z]:[\\/]|\\\\)/.test(p)) {
      setErr('Enter the full path of the file, e.g. /home/me/report.pdf');
      return false;
    }
    try {
      await client.invoke('files.send', { conversationId, path: p });
      setErr(undefined);
      return true;
    } catch (e) {
      setErr(errorText(e));
      return false;
    }
  },
  async pickAndSend(conversationId) {
    if (client.kind !== 'electron') return false;
    try {
      const { path } = await client.invoke('files.pick', {});
      if (path) await get().sendFile(conversationId, path);
      return true;
    } catch (e) {
      get().notify('error', errorText(e));
      return true;
    }
  },
  async transferAction(action, transferId) {
    try {
      await client.invoke(`files.${action}`, { transferId });
    } catch (e) {
      get().notify('error', errorText(e));
    }
  },
  async revealTransfer(transferId) {
    try {
      const r = await client.invoke('files.reveal', { transferId });
      if (r.decision === 'delegated')
        set((s) => ({ transfers: { ...s.transfers, revealed: { ...s.transfers.revealed, [transferId]: r.path } } }));
    } catch (e) {
      get().notify('error', errorText(e));
    }
  },
});
