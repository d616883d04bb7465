// The shape of the ui slice (types only, so renderer/slices/shared.ts can compose AppState without importing
// the slice's code: no import circle).
import type { LinkDecision } from '../../../app/ipc/contract';

export type Theme = 'system' | 'light' | 'dark';

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

export interface UiSlice {
  ui: { theme: Theme; notices: Notice[]; linkPrompt: LinkDecision | null; newConversationOpen: boolean };
  setTheme(t: Theme): void;
  notify(kind: Notice['kind'], text: string): void;
  dismissNotice(id: number): void;
  openLink(url: string): Promise<void>;
  closeLinkPrompt(): void;
  setNewConversationOpen(open: boolean): void;
}
