// Composer: Enter sends, Shift+Enter inserts a new line; delivery mode choice; disabled while sending is blocked.
import { useId, useState, type KeyboardEvent } from 'react';
import { MAX_MESSAGE_CHARS } from '../../app/ipc/contract';
import { useApp } from '../hooks';
import { selectSendError } from '../slices/messages/selectors';

type Mode = 'auto' | 'page' | 'session';

export function Composer({ conversationId, disabledReason }: { conversationId: string; disabledReason?: string }) {
  const [text, setText] = useState('');
  const [mode, setMode] = useState<Mode>('auto');
  const send = useApp((s) => s.send);
  const composing = useApp((s) => s.composing);
  const error = useApp(selectSendError(conversationId));
  const id = useId();
  const disabled = disabledReason !== undefined;

  const submit = async () => {
    if (disabled || !text.trim()) return;
    const ok = await send(conversationId, text, mode === 'auto' ? undefined : mode);
    if (ok) setText('');
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  };

  return (
    <form
      className="composer"
      aria-label="Write a message"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      {disabled ? (
        <p className="composer-blocked" id={`${id}-why`}>
          {disabledReason}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="composer-row">
        <label htmlFor={id} className="sr-only">
          Message
        </label>
        <textarea
          id={id}
          value={text}
          rows={2}
          maxLength={MAX_MESSAGE_CHARS}
          placeholder={disabled ? '' : 'Message (Enter to send, Shift+Enter for a new line)'}
          disabled={disabled}
          aria-describedby={disabled ? `${id}-why` : undefined}
          onChange={(e) => {
            setText(e.target.value);
            composing(conversationId, e.target.value.length > 0);
          }}
          onKeyDown={onKey}
        />
        <label htmlFor={`${id}-mode`} className="sr-only">
          Delivery mode
        </label>
        <select id={`${id}-mode`} value={mode} onChange={(e) => setMode(e.target.value as Mode)} disabled={disabled}>
          <option value="auto">Auto</option>
          <option value="page">Page mode</option>
          <option value="session">Session (MSRP)</option>
        </select>
        <button type="submit" className="primary" disabled={disabled || !text.trim()}>
          Send
        </button>
      </div>
    </form>
  );
}
