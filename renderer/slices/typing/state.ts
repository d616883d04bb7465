// The shape of the typing slice (types only, so renderer/slices/shared.ts can compose AppState without importing
// the slice's code: no import circle).
import type { TypingView } from '../../../app/ipc/contract';

export interface TypingSlice {
  typing: { peers: Record<string, TypingView>; mine: Record<string, { active: boolean; sentAt: number }> };
  composing(conversationId: string, active: boolean, now?: number): void;
  setPeerTyping(v: TypingView): void;
}
