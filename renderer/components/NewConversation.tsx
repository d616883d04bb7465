import { useId, useState, type FormEvent } from 'react';
import { useApp } from '../hooks';
import { selectNewConversationError } from '../slices/conversations/selectors';

/** Starts (or opens) a one-to-one conversation with a SIP URI. */
export function NewConversation() {
  const [peer, setPeer] = useState('');
  const error = useApp(selectNewConversationError);
  const openPeer = useApp((s) => s.openPeer);
  const setOpen = useApp((s) => s.setNewConversationOpen);
  const id = useId();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await openPeer(peer)) {
      setPeer('');
      setOpen(false);
    }
  };
  return (
    <form id="new-conversation" className="new-conv" onSubmit={(e) => void submit(e)} noValidate>
      <label htmlFor={id}>SIP address of the contact</label>
      <input
        id={id}
        value={peer}
        autoFocus
        spellCheck={false}
        placeholder="sip:bob@example.com"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-err` : undefined}
        onChange={(e) => setPeer(e.target.value)}
        onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}
      />
      {error ? (
        <p className="field-error" id={`${id}-err`} role="alert">
          {error}
        </p>
      ) : null}
      <div className="row">
        <button type="submit" className="primary">
          Start
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
