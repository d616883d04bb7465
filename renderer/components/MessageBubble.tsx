// One message: plain text (never HTML), links as buttons, time, mode, e2e fact, delivery state icon + label.
import { memo } from 'react';
import type { MessageView } from '../../app/ipc/contract';
import { splitLinks } from '../../app/ipc/links';
import { STATE_LABEL, stateText } from '../slices/messages/selectors';
import { formatSize, formatTime, fullTime } from './format';
import { plainText } from '../../app/ipc/text';
import { Isolated, Name, personText } from './UserText';

export const MessageBubble = memo(function MessageBubble({ m, onLink }: { m: MessageView; onLink: (url: string) => void }) {
  const parts = splitLinks(m.text);
  const st = STATE_LABEL[m.state];
  return (
    <article
      className={`bubble ${m.direction} state-${m.state}`}
      aria-label={`${m.direction === 'out' ? 'You' : personText(undefined, m.sender)}, ${fullTime(m.at)}`}
    >
      <p className="bubble-text">
        {parts.map((p, i) =>
          p.kind === 'text' ? (
            <Isolated key={i} text={p.text} />
          ) : (
            <button key={i} type="button" className="link" onClick={() => onLink(p.url)} aria-label={`Open link ${p.url}`}>
              {p.text}
            </button>
          ),
        )}
      </p>
      {m.file ? (
        <p className="file" aria-label={`File ${plainText(m.file.name, 255)}, ${formatSize(m.file.size)}`}>
          <Name className="file-name" text={m.file.name} max={255} />{' '}
          <span className="muted">
            ({formatSize(m.file.size)}, {m.file.mediaType || 'file'})
          </span>
          {m.file.transferred !== undefined && m.file.transferred < m.file.size ? (
            <progress max={m.file.size} value={m.file.transferred} aria-label={`Transfer of ${plainText(m.file.name, 255)}`} />
          ) : null}
        </p>
      ) : null}
      <footer className="bubble-meta">
        <time dateTime={new Date(m.at).toISOString()} title={fullTime(m.at)}>
          {formatTime(m.at)}
        </time>
        <span className={`mode mode-${m.mode}`} title={m.mode === 'page' ? 'Sent as a SIP MESSAGE (page mode)' : 'Sent in an MSRP session'}>
          {m.mode === 'page' ? 'page' : 'session'}
        </span>
        <span className={`e2e e2e-${m.e2e.state}`}>
          {m.e2e.state === 'off' ? 'not end-to-end encrypted' : m.e2e.state === 'psk' ? 'E2E (PSK)' : 'E2E'}
          {m.direction === 'in' && m.e2e.signatureValid === false ? ' · signature invalid' : ''}
        </span>
        {m.direction === 'out' ? (
          <span className={`state state-${m.state}`} data-state={m.state}>
            <span aria-hidden="true">{st.icon}</span> {stateText(m)}
          </span>
        ) : null}
      </footer>
    </article>
  );
});
