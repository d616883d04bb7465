// The open conversation: header (peer, security badge, block), key-change banner, virtualized history, typing, composer.
import { useCallback, useEffect, useMemo, useState, type DragEvent } from 'react';
import type { ConversationView, MessageView } from '../../app/ipc/contract';
import { useApp } from '../hooks';
import { selectConversationMessages } from '../slices/messages/selectors';
import { selectSecurity } from '../slices/security/selectors';
import { selectPeerTyping } from '../slices/typing/selectors';
import { Composer } from './Composer';
import { MessageBubble } from './MessageBubble';
import { SecurityBadge } from './SecurityBadge';
import { TransferList } from './Transfers';
import { VirtualList } from './VirtualList';
import { Name, personText } from './UserText';

const messageKey = (m: MessageView) => m.id;

export function ChatView({ conversation: c }: { conversation: ConversationView }) {
  const cm = useApp(useMemo(() => selectConversationMessages(c.id), [c.id]));
  const sec = useApp(useMemo(() => selectSecurity(c.id), [c.id]));
  const typingPeer = useApp(useMemo(() => selectPeerTyping(c.id), [c.id]));
  const loadOlder = useApp((s) => s.loadOlder);
  const openLink = useApp((s) => s.openLink);
  const openPanel = useApp((s) => s.openSecurityPanel);
  const acceptKeyChange = useApp((s) => s.acceptKeyChange);
  const block = useApp((s) => s.block);
  const unblock = useApp((s) => s.unblock);
  const loadTransfers = useApp((s) => s.loadTransfers);
  const sendFile = useApp((s) => s.sendFile);
  const notify = useApp((s) => s.notify);
  const [dropping, setDropping] = useState(false);
  useEffect(() => void loadTransfers(c.id), [loadTransfers, c.id]);

  const items = useMemo(() => cm.order.map((id) => cm.byId[id]!), [cm]);
  const onLink = useCallback((url: string) => void openLink(url), [openLink]);
  const render = useCallback((m: MessageView) => <MessageBubble m={m} onLink={onLink} />, [onLink]);
  const onReachTop = useCallback(() => void loadOlder(c.id), [loadOlder, c.id]);
  const sendBlocked = sec ? sec.sendBlocked : c.security.sendBlocked;
  const disabledReason = c.blocked
    ? 'You blocked this contact. Unblock to send messages.'
    : sendBlocked
      ? "Sending is paused until you accept this contact's new key."
      : undefined;

  const isFileDrag = (e: DragEvent) => [...e.dataTransfer.types].includes('Files');
  const onDrop = (e: DragEvent) => {
    if (!isFileDrag(e)) return;
    e.preventDefault();
    setDropping(false);
    const f = e.dataTransfer.files[0];
    if (disabledReason) return notify('error', disabledReason);
    void (async () => {
      const path = f && window.parley?.pathForFile ? await window.parley.pathForFile(f) : '';
      if (path) void sendFile(c.id, path);
      else notify('error', 'Dropped files cannot be sent from the browser: use "Attach file" and type its path.');
    })();
  };

  return (
    <section
      className={`chat ${dropping ? 'dropping' : ''}`}
      aria-label={`Conversation with ${personText(c.title, c.peer)}`}
      onDragOver={(e) => {
        if (!isFileDrag(e)) return;
        e.preventDefault();
        setDropping(true);
      }}
      onDragLeave={() => setDropping(false)}
      onDrop={onDrop}
    >
      <header className="chat-header">
        <div className="chat-title">
          <h2>
            <Name text={c.title} max={128} />
          </h2>
          <Name className="muted peer" text={c.peer} />
        </div>
        <button type="button" className="ghost sec-button" onClick={() => void openPanel(c.id)}>
          {/* Named by its content (visible words first: WCAG 2.5.3 label in name), then what the button does. */}
          <SecurityBadge summary={c.security} view={sec} />
          <span className="sr-only">, security details and safety number</span>
        </button>
        {c.kind === 'direct' ? (
          <button type="button" onClick={() => void (c.blocked ? unblock(c.peer) : block(c.peer))}>
            {c.blocked ? 'Unblock' : 'Block'}
          </button>
        ) : null}
      </header>
      {sendBlocked ? (
        <div className="banner warn" role="alert">
          <p>
            <strong>
              <Name text={c.title} max={128} />
              &apos;s security key changed.
            </strong>{' '}
            This can happen when they reinstall Parley or use a new device, or when someone is intercepting. Compare safety numbers before
            trusting it.
          </p>
          <div className="row">
            <button type="button" onClick={() => void openPanel(c.id)}>
              Compare safety numbers
            </button>
            <button type="button" className="primary" onClick={() => void acceptKeyChange(c.id)}>
              Accept new key
            </button>
          </div>
        </div>
      ) : null}
      <VirtualList
        items={items}
        itemKey={messageKey}
        renderItem={render}
        label={`Messages with ${personText(c.title, c.peer)}`}
        onReachTop={onReachTop}
        header={
          cm.loading ? (
            <p className="muted center" role="status">
              Loading older messages…
            </p>
          ) : cm.complete && cm.loadedOnce ? (
            <p className="muted center">{items.length ? 'Beginning of the conversation' : 'No messages yet'}</p>
          ) : null
        }
      />
      <TransferList conversationId={c.id} />
      <p className="typing" aria-live="polite">
        {typingPeer ? (
          <>
            <Name text={c.title} max={128} /> is typing…
          </>
        ) : (
          ''
        )}
      </p>
      <Composer conversationId={c.id} disabledReason={disabledReason} />
    </section>
  );
}
