// Sidebar section for group chats: pending focus invitations (accept/decline), new group chat, join by address, rooms.
import { useId, useMemo, useState } from 'react';
import { useApp } from '../hooks';
import { arrowNav } from './ConversationList';

export function RoomsPanel() {
  const st = useApp((s) => s.rooms);
  const createRoom = useApp((s) => s.createRoom);
  const joinRoom = useApp((s) => s.joinRoom);
  const answer = useApp((s) => s.answerInvitation);
  const selectRoom = useApp((s) => s.selectRoom);
  const [form, setForm] = useState<'none' | 'create' | 'join'>('none');
  const [participants, setParticipants] = useState('');
  const [subject, setSubject] = useState('');
  const [uri, setUri] = useState('');
  const base = useId();
  const rooms = useMemo(() => Object.values(st.byId).sort((a, b) => b.at - a.at), [st.byId]);
  const pending = useMemo(() => Object.values(st.invitations).filter((i) => i.state === 'pending'), [st.invitations]);
  if (st.unavailable) return null;
  const title = (r: { subject?: string; uri: string }) => r.subject ?? r.uri.replace(/^sips?:/, '');

  return (
    <section className="rooms" aria-labelledby={`${base}-h`}>
      <h2 id={`${base}-h`}>Group chats</h2>
      {pending.map((i) => (
        <div key={i.id} className="invitation" role="group" aria-label={`Invitation to ${i.subject ?? i.room}`}>
          <p>
            <strong>{i.inviter ? i.inviter.replace(/^sips?:/, '') : 'Someone'}</strong> invites you to{' '}
            <strong>{i.subject ?? i.room.replace(/^sips?:/, '')}</strong>
          </p>
          <div className="row">
            <button type="button" className="primary" onClick={() => void answer(i.id, true)}>
              Join group chat
            </button>
            <button type="button" onClick={() => void answer(i.id, false)}>
              Decline invitation
            </button>
          </div>
        </div>
      ))}
      <div className="row">
        <button type="button" onClick={() => setForm(form === 'create' ? 'none' : 'create')} aria-expanded={form === 'create'}>
          New group chat
        </button>
        <button type="button" onClick={() => setForm(form === 'join' ? 'none' : 'join')} aria-expanded={form === 'join'}>
          Join room
        </button>
      </div>
      {form === 'create' ? (
        <form
          className="room-form"
          aria-label="New group chat"
          onSubmit={(e) => {
            e.preventDefault();
            void createRoom(participants, subject).then((ok) => ok && (setForm('none'), setParticipants(''), setSubject('')));
          }}
        >
          <label htmlFor={`${base}-p`}>People to invite (SIP addresses)</label>
          <input
            id={`${base}-p`}
            value={participants}
            onChange={(e) => setParticipants(e.target.value)}
            placeholder="sip:bob@example.com, sip:carol@example.com"
          />
          <label htmlFor={`${base}-s`}>Subject (optional)</label>
          <input id={`${base}-s`} value={subject} maxLength={256} onChange={(e) => setSubject(e.target.value)} />
          <button type="submit" className="primary">
            Create group chat
          </button>
        </form>
      ) : null}
      {form === 'join' ? (
        <form
          className="room-form"
          aria-label="Join a room"
          onSubmit={(e) => {
            e.preventDefault();
            void joinRoom(uri).then((ok) => ok && (setForm('none'), setUri('')));
          }}
        >
          <label htmlFor={`${base}-u`}>Room address</label>
          <input id={`${base}-u`} value={uri} onChange={(e) => setUri(e.target.value)} placeholder="sip:conf-1234@example.com" />
          <button type="submit" className="primary">
            Join
          </button>
        </form>
      ) : null}
      {form !== 'none' && st.formError ? (
        <p className="field-error" role="alert">
          {st.formError}
        </p>
      ) : null}
      <ul className="conv-list" aria-label="Group chat list" onKeyDown={arrowNav}>
        {rooms.map((r) => (
          <li key={r.id}>
            <button
              type="button"
              data-row
              className={`conv room-row ${r.id === st.selectedRoomId ? 'selected' : ''}`}
              aria-current={r.id === st.selectedRoomId ? 'true' : undefined}
              onClick={() => void selectRoom(r.id)}
            >
              <span className="conv-top">
                <span className="conv-title">{title(r)}</span>
              </span>
              <span className="conv-bottom muted">
                {r.state === 'joined'
                  ? `${r.participants.length} in the room`
                  : r.state === 'joining'
                    ? 'Joining…'
                    : r.state === 'left'
                      ? 'You left'
                      : 'Disconnected'}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
