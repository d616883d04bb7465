// Composer: Enter sends, Shift+Enter inserts a new line; delivery mode choice (auto/page/session -> messages.send mode);
// "Attach file" opens the send-file form; disabled while sending is blocked.
import { useId, useState, type KeyboardEvent } from 'react';
import { MAX_MESSAGE_CHARS } from '../../app/ipc/contract';
import { useApp } from '../hooks';
import { selectSendError } from '../slices/messages/selectors';
import { SendFileForm } from './Transfers';

type Mode = 'auto' | 'page' | 'session';

export function Composer({ conversationId, disabledReason }: { conversationId: string; disabledReason?: string }) {
  const [text, setText] = useState('');
  const [mode, setMode] = useState<Mode>('auto');
  const [fileOpen, setFileOpen] = useState(false);
  const filesUnavailable = useApp((s) => s.transfers.unavailable);
  const pickAndSend = useApp((s) => s.pickAndSend);
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
    <div className="composer">
      {fileOpen && !disabled ? <SendFileForm conversationId={conversationId} onDone={() => setFileOpen(false)} /> : null}
      <form
        className="composer-form"
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
          {filesUnavailable ? null : (
            <button
              type="button"
              // Electron: the native dialog (the pick is what main may read); the browser: the path form
              onClick={() => void pickAndSend(conversationId).then((picked) => picked || setFileOpen(!fileOpen))}
              aria-expanded={fileOpen}
              disabled={disabled}
            >
              Attach file
            </button>
          )}
          <button type="submit" className="primary" disabled={disabled || !text.trim()}>
            Send
          </button>
        </div>
      </form>
    </div>
  );
}
