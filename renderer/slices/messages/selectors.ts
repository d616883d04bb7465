import type { MessageState, MessageView } from '../../../app/ipc/contract';
import type { AppState } from '../shared';
import { emptyConversation } from './slice';
import type { ConversationMessages } from './state';

const EMPTY = emptyConversation();
export const selectConversationMessages =
  (id: string | null) =>
  (s: AppState): ConversationMessages =>
    (id && s.messages.byConv[id]) || EMPTY;
export const selectSendError = (id: string | null) => (s: AppState) => (id ? s.messages.sendError[id] : undefined);

/** Icon and label for each delivery state (the label is also the accessible name). */
export const STATE_LABEL: Record<MessageState, { icon: string; label: string }> = {
  queued: { icon: '◷', label: 'Queued' },
  sending: { icon: '…', label: 'Sending' },
  stored: { icon: '⤓', label: 'Stored by the network' },
  sent: { icon: '✓', label: 'Sent' },
  delivered: { icon: '✓✓', label: 'Delivered' },
  displayed: { icon: '✓✓', label: 'Read' },
  failed: { icon: '⚠', label: 'Failed' },
  received: { icon: '', label: 'Received' },
};

export function stateText(m: MessageView): string {
  const l = STATE_LABEL[m.state].label;
  return m.state === 'failed' && m.failure ? `${l}: ${m.failure.reason}` : l;
}
