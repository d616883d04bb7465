// An open group chat: header (subject, room address, group E2E state, invite, leave), messages (public and private),
// participants panel (nicknames, "private message" affordance), nickname form, composer (to everyone or to one person).
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { RoomMessageView, RoomView } from '../../app/ipc/contract';
import { MAX_MESSAGE_CHARS } from '../../app/ipc/contract';
import { useApp } from '../hooks';
import { Dialog } from './Dialog';
import { formatTime, fullTime } from './format';
import { plainText } from '../../app/ipc/text';
import { Isolated, Name, Person, personText } from './UserText';

const EMPTY: RoomMessageView[] = [];
const short = (aor: string) => aor.replace(/^sips?:/, '');

export function RoomChat({ room: r }: { room: RoomView }) {
  const messages = useApp((s) => s.rooms.messages[r.id] ?? EMPTY);
  const privateTo = useApp((s) => s.rooms.privateTo[r.id] ?? null);
  const error = useApp((s) => s.rooms.roomError[r.id]);
  const setPrivateTo = useApp((s) => s.setPrivateTo);
  const send = useApp((s) => s.sendToRoom);
  const leave = useApp((s) => s.leaveRoom);
  const [inviteOpen, setInviteOpen] = useState(false);
  const [text, setText] = useState('');
  const logRef = useRef<HTMLDivElement>(null);
  const base = useId();
  const joined = r.state === 'joined';
  const nickOf = useMemo(() => {
    const m = new Map(r.participants.map((p) => [p.aor, p.nickname]));
    return (aor: string, nick?: string) => nick ?? m.get(aor);
  }, [r.participants]);
  const nameOf = (aor: string, nick?: string) => personText(nickOf(aor, nick), aor);

  useEffect(() => {
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [messages.length]);

  const submit = async () => {
    if (!joined || !text.trim()) return;
    if (await send(r.id, text)) setText('');
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  };

  return (
    <section className="chat room" aria-label={`Group chat ${plainText(r.subject ?? short(r.uri), 256)}`}>
      <header className="chat-header">
        <div className="chat-title">
          <h2>{r.subject ? <Name text={r.subject} /> : 'Group chat'}</h2>
          <Name className="muted peer" text={r.uri} />
        </div>
        <span
          className={`sec-item ${r.e2e === 'on' ? 'on' : 'off'}`}
          title={r.allKeyed ? 'Every member holds the current keys' : 'Keys are still being exchanged'}
        >
          {r.e2e === 'on' ? `✓ Group E2E${r.allKeyed ? '' : ' (exchanging keys)'}` : '✗ Not end-to-end encrypted'}
        </span>
        <button type="button" onClick={() => setInviteOpen(true)} disabled={!joined}>
          Invite
        </button>
        <button type="button" onClick={() => void leave(r.id)} disabled={!joined}>
          Leave room
        </button>
      </header>
      {!joined ? (
        <div className="banner warn" role="status">
          <p>
            {r.state === 'left'
              ? 'You left this room.'
              : r.state === 'joining'
                ? 'Joining…'
                : `Disconnected from the room${r.failure ? `: ${r.failure.reason}` : ''}.`}
          </p>
        </div>
      ) : null}
      <div className="room-body">
        <div
          className="room-log"
          role="log"
          aria-label={`Messages in ${r.subject ? plainText(r.subject, 256) : 'the group chat'}`}
          ref={logRef}
          tabIndex={0}
        >
          {messages.length === 0 ? <p className="muted center">No messages yet</p> : null}
          {messages.map((m) => (
            <article
              key={m.id}
              className={`bubble ${m.direction} ${m.private ? 'private' : ''}`}
              aria-label={`${m.direction === 'out' ? 'You' : nameOf(m.from, m.nickname)}, ${fullTime(m.at)}`}
            >
              <p className="bubble-from">
                {m.direction === 'out' ? 'You' : <Person nickname={nickOf(m.from, m.nickname)} address={m.from} />}
                {m.private ? (
                  <span className="private-tag">
                    {m.direction === 'out' ? (
                      <>
                        {' · private to '}
                        <bdi>{nameOf(m.to ?? '')}</bdi>
                      </>
                    ) : (
                      ' · private to you'
                    )}
                  </span>
                ) : null}
              </p>
              <p className="bubble-text">
                <Isolated text={m.text} />
              </p>
              <footer className="bubble-meta">
                <time dateTime={new Date(m.at).toISOString()}>{formatTime(m.at)}</time>
                <span className={`e2e e2e-${m.protected ? 'on' : 'off'}`}>{m.protected ? 'E2E' : 'not end-to-end encrypted'}</span>
                {m.direction === 'out' ? (
                  <span className={`state state-${m.state}`} data-state={m.state}>
                    {m.state === 'sending' ? 'Sending' : m.state === 'sent' ? 'Sent' : `Failed${m.failure ? `: ${m.failure.reason}` : ''}`}
                  </span>
                ) : null}
              </footer>
            </article>
          ))}
        </div>
        <Participants room={r} nameOf={nameOf} />
      </div>
      <form
        className="composer"
        aria-label="Write to the group"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        {privateTo ? (
          <p className="private-target" role="status">
            Private message to <bdi>{nameOf(privateTo)}</bdi>{' '}
            <button type="button" className="ghost" onClick={() => setPrivateTo(r.id, null)}>
              Write to everyone instead
            </button>
          </p>
        ) : null}
        {error ? (
          <p className="field-error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="composer-row">
          <label htmlFor={`${base}-msg`} className="sr-only">
            Group message
          </label>
          <textarea
            id={`${base}-msg`}
            value={text}
            rows={2}
            maxLength={MAX_MESSAGE_CHARS}
            disabled={!joined}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={onKey}
            placeholder={privateTo ? `Private message to ${nameOf(privateTo)}` : 'Message to everyone in the room'}
          />
          <button type="submit" className="primary" disabled={!joined || !text.trim()}>
            Send
          </button>
        </div>
      </form>
      {inviteOpen ? <InviteDialog room={r} onClose={() => setInviteOpen(false)} /> : null}
    </section>
  );
}

function Participants({ room: r, nameOf }: { room: RoomView; nameOf: (aor: string, nick?: string) => string }) {
  const setPrivateTo = useApp((s) => s.setPrivateTo);
  const setNickname = useApp((s) => s.setNickname);
  const [nick, setNick] = useState('');
  const id = useId();
  return (
    <aside className="participants" aria-label="Participants">
      <h3>Participants ({r.participants.length})</h3>
      <ul>
        {r.participants.map((p) => (
          <li key={p.aor}>
            <Person nickname={p.nickname} address={p.aor} />
            {p.isMe ? <span className="muted"> (you)</span> : null}
            {!p.isMe && r.state === 'joined' ? (
              <button
                type="button"
                className="ghost"
                onClick={() => setPrivateTo(r.id, p.aor)}
                aria-label={`Private message to ${nameOf(p.aor, p.nickname)}`}
              >
                Private message
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (nick.trim()) void setNickname(r.id, nick).then((ok) => ok && setNick(''));
        }}
      >
        <label htmlFor={id}>Your nickname{r.myNickname ? ` (now ${r.myNickname})` : ''}</label>
        <div className="composer-row">
          <input id={id} value={nick} maxLength={64} onChange={(e) => setNick(e.target.value)} disabled={r.state !== 'joined'} />
          <button type="submit" disabled={!nick.trim() || r.state !== 'joined'}>
            Set nickname
          </button>
        </div>
      </form>
    </aside>
  );
}

function InviteDialog({ room: r, onClose }: { room: RoomView; onClose: () => void }) {
  const invite = useApp((s) => s.inviteToRoom);
  const error = useApp((s) => s.rooms.roomError[r.id]);
  const [who, setWho] = useState('');
  const id = useId();
  return (
    <Dialog title="Invite to the group chat" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void invite(r.id, who).then((ok) => ok && onClose());
        }}
      >
        <label htmlFor={id}>SIP addresses to invite</label>
        <input id={id} value={who} onChange={(e) => setWho(e.target.value)} placeholder="sip:carol@example.com" />
        <p className="muted">Or share the room address: {r.uri}</p>
        {error ? (
          <p className="field-error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="row">
          <button type="submit" className="primary" disabled={!who.trim()}>
            Send invitations
          </button>
        </div>
      </form>
    </Dialog>
  );
}
