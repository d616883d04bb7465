import type { AppState } from '../shared';

export const selectTheme = (s: AppState) => s.ui.theme;
export const selectNotices = (s: AppState) => s.ui.notices;
export const selectLinkPrompt = (s: AppState) => s.ui.linkPrompt;
export const selectNewConversationOpen = (s: AppState) => s.ui.newConversationOpen;
