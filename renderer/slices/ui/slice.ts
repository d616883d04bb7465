// UI slice: theme, notices, the link confirmation prompt (web host: 'delegated'), dialogs.
import { errorText, type Slice } from '../shared';
import type { UiSlice, Theme } from './state';

export const MAX_NOTICES = 4;
const THEME_KEY = 'parley.theme';
let noticeSeq = 0;

/** The theme choice survives restarts (localStorage: a UI preference, nothing sensitive). */
function loadTheme(): Theme {
  try {
    const t = globalThis.localStorage?.getItem(THEME_KEY);
    return t === 'light' || t === 'dark' ? t : 'system';
  } catch {
    return 'system';
  }
}
function saveTheme(t: Theme): void {
  try {
    globalThis.localStorage?.setItem(THEME_KEY, t);
  } catch {
    // storage unavailable: the choice lasts for this session
  }
}

export const uiSlice: Slice<UiSlice> = (client) => (set, get) => ({
  ui: { theme: loadTheme(), notices: [], linkPrompt: null, newConversationOpen: false },

  setTheme(theme) {
    saveTheme(theme);
    set((s) => ({ ui: { ...s.ui, theme } }));
  },
  notify(kind, text) {
    set((s) => ({ ui: { ...s.ui, notices: [...s.ui.notices, { id: ++noticeSeq, kind, text }].slice(-MAX_NOTICES) } }));
  },
  dismissNotice(id) {
    set((s) => ({ ui: { ...s.ui, notices: s.ui.notices.filter((n) => n.id !== id) } }));
  },
  async openLink(url) {
    try {
      const d = await client.invoke('links.open', { url });
      if (d.decision === 'delegated') set((s) => ({ ui: { ...s.ui, linkPrompt: d } }));
      else if (d.decision === 'refused') get().notify('error', `Link not opened: ${d.reason ?? 'not allowed'}`);
    } catch (e) {
      get().notify('error', errorText(e));
    }
  },
  closeLinkPrompt() {
    set((s) => ({ ui: { ...s.ui, linkPrompt: null } }));
  },
  setNewConversationOpen(open) {
    set((s) => ({ ui: { ...s.ui, newConversationOpen: open }, conversations: { ...s.conversations, newError: null } }));
  },
});
