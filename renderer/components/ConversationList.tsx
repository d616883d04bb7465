// Conversation list: search (titles locally, message text via `search`), unread counts, last message, new conversation.
import { useMemo, type KeyboardEvent } from 'react';
import type { ConversationView } from '../../app/ipc/contract';
import { useApp } from '../hooks';
import { securityFacts } from '../slices/security/selectors';
import {
  selectConversationsById,
  selectSearch,
  selectSearchHits,
  selectSelectedId,
  sortedConversations,
} from '../slices/conversations/selectors';
import { selectNewConversationOpen } from '../slices/ui/selectors';
import { NewConversation } from './NewConversation';
import { SecurityBadge } from './SecurityBadge';
import { formatTime } from './format';
import { Isolated, Name } from './UserText';

/** Up/Down move between rows of a list of buttons. */
export function arrowNav(e: KeyboardEvent<HTMLElement>) {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  const buttons = [...e.currentTarget.querySelectorAll<HTMLButtonElement>('button[data-row]')];
  const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
  const next = buttons[Math.max(0, Math.min(buttons.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)))];
  if (next) {
    e.preventDefault();
    next.focus();
  }
}

/** What the row says to a screen reader right after the title: unread count, blocked, the security facts. */
function rowFacts(c: ConversationView): string {
  const f = securityFacts(undefined, c.security);
  const parts: string[] = [];
  if (c.unread) parts.push(`${c.unread} unread`);
  if (c.blocked) parts.push('blocked');
  if (f) parts.push(f.e2e.text.toLowerCase(), f.peer.text.toLowerCase());
  return parts.length ? `, ${parts.join(', ')}.` : '.';
}

export function ConversationList() {
  const byId = useApp(selectConversationsById);
  const search = useApp(selectSearch);
  const hits = useApp(selectSearchHits);
  const selectedId = useApp(selectSelectedId);
  const select = useApp((s) => s.select);
  const setSearch = useApp((s) => s.setSearch);
  const newOpen = useApp(selectNewConversationOpen);
  const setNewOpen = useApp((s) => s.setNewConversationOpen);
  const list = useMemo(() => sortedConversations(byId, search), [byId, search]);

  return (
    <nav className="sidebar" aria-label="Conversations">
      <div className="sidebar-tools">
        <input
          type="search"
          aria-label="Search conversations and messages"
          placeholder="Search"
          value={search}
          maxLength={256}
          onChange={(e) => void setSearch(e.target.value)}
        />
        <button type="button" onClick={() => setNewOpen(!newOpen)} aria-expanded={newOpen} aria-controls="new-conversation">
          New conversation
        </button>
      </div>
      {newOpen ? <NewConversation /> : null}
      <ul className="conv-list" aria-label="Conversation list" onKeyDown={arrowNav}>
        {list.length === 0 ? <li className="muted empty">{search ? 'No matching conversations' : 'No conversations yet'}</li> : null}
        {list.map((c) => (
          <li key={c.id}>
            <button
              type="button"
              data-row
              className={`conv ${c.id === selectedId ? 'selected' : ''} ${c.blocked ? 'blocked' : ''}`}
              aria-current={c.id === selectedId ? 'true' : undefined}
              onClick={() => void select(c.id)}
            >
              {/* Named by its content (WCAG 2.5.3 label in name): the title and the facts a screen reader needs first. */}
              <span className="conv-top">
                <span className="conv-title">
                  <Name text={c.title} max={128} />
                  <span className="sr-only">{rowFacts(c)}</span>
                </span>
                {c.last ? <time className="conv-time">{formatTime(c.last.at)}</time> : null}
              </span>
              <span className="conv-bottom">
                <span className="conv-last">
                  {c.last ? (
                    <>
                      {c.last.direction === 'out' ? 'You: ' : ''}
                      <Isolated text={c.last.text} />
                    </>
                  ) : (
                    <Name text={c.peer} />
                  )}
                </span>
                {c.unread > 0 ? (
                  <span className="badge" aria-hidden="true">
                    {c.unread > 99 ? '99+' : c.unread}
                  </span>
                ) : null}
              </span>
              <SecurityBadge summary={c.security} compact hideText />
            </button>
          </li>
        ))}
      </ul>
      {hits && hits.length > 0 ? (
        <section aria-label="Messages matching the search" className="hits">
          <h2>Messages</h2>
          <ul onKeyDown={arrowNav}>
            {hits.map((h) => (
              <li key={h.messageId}>
                <button type="button" data-row className="hit" onClick={() => void select(h.conversationId)}>
                  <Name className="hit-title" text={byId[h.conversationId]?.title ?? 'Conversation'} max={128} />
                  <span className="hit-snippet">{h.snippet}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </nav>
  );
}
