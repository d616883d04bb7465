// Security slice: per-conversation status (hop-by-hop vs end-to-end vs peer verification), the safety-number panel with
// its QR code (rendered to an SVG data URI here; never injected as HTML), verification and key-change acceptance.
import QRCode from 'qrcode';
import { errorText, type Slice } from '../shared';
import type { SecuritySlice } from './state';

export async function qrDataUri(payload: string): Promise<string> {
  const svg = await QRCode.toString(payload, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** Groups of five digits, as the peer sees them. */
export function groupDigits(digits: string): string[] {
  return digits.match(/.{1,5}/g) ?? [];
}

export const securitySlice: Slice<SecuritySlice> = (client) => (set, get) => ({
  security: { byConv: {}, panelFor: null, safety: {}, verifyResult: {} },

  async loadSecurity(conversationId) {
    try {
      get().setSecurity(await client.invoke('security.status', { conversationId }));
    } catch (e) {
      get().notify('error', errorText(e));
    }
  },
  async openSecurityPanel(conversationId) {
    set((s) => ({
      security: { ...s.security, panelFor: conversationId, verifyResult: { ...s.security.verifyResult, [conversationId]: undefined } },
    }));
    try {
      const [sn] = await Promise.all([client.invoke('security.safetyNumber', { conversationId }), get().loadSecurity(conversationId)]);
      const qr = await qrDataUri(sn.qrPayload);
      set((s) => ({
        security: { ...s.security, safety: { ...s.security.safety, [conversationId]: { digits: sn.digits, qrDataUri: qr } } },
      }));
    } catch (e) {
      get().notify('error', errorText(e));
    }
  },
  closeSecurityPanel() {
    set((s) => ({ security: { ...s.security, panelFor: null } }));
  },
  async verifyPeer(conversationId, digits) {
    try {
      const { verified } = await client.invoke('security.verify', { conversationId, digits: digits.replace(/\s+/g, '') });
      set((s) => ({ security: { ...s.security, verifyResult: { ...s.security.verifyResult, [conversationId]: verified } } }));
      await get().loadSecurity(conversationId);
    } catch (e) {
      get().notify('error', errorText(e));
    }
  },
  async acceptKeyChange(conversationId) {
    try {
      await client.invoke('security.acceptKeyChange', { conversationId });
      await get().loadSecurity(conversationId);
      if (get().security.panelFor === conversationId) await get().openSecurityPanel(conversationId);
    } catch (e) {
      get().notify('error', errorText(e));
    }
  },
  async setPsk(conversationId, passphrase) {
    try {
      get().setSecurity(await client.invoke('security.setPsk', { conversationId, passphrase }));
      return true;
    } catch (e) {
      get().notify('error', errorText(e));
      return false;
    }
  },
  setSecurity(v) {
    set((s) => ({ security: { ...s.security, byConv: { ...s.security.byConv, [v.conversationId]: v } } }));
    const c = get().conversations.byId[v.conversationId];
    if (c) {
      const security = { tls: v.hop.tls, e2e: v.e2e.state, peer: v.peer.state, sendBlocked: v.sendBlocked };
      const same =
        c.security.tls === security.tls &&
        c.security.e2e === security.e2e &&
        c.security.peer === security.peer &&
        c.security.sendBlocked === security.sendBlocked;
      if (!same) get().upsertConversation({ ...c, security });
    }
  },
});
