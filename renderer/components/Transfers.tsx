// File transfers of the open conversation: offers with accept/decline (executable warning), progress with rate and ETA,
// cancel, resume, "show in folder", and clear errors. Above it, the send-file form (a path on the machine running main).
import { useId, useMemo, useState } from 'react';
import type { TransferView } from '../../app/ipc/contract';
import { useApp } from '../hooks';
import {
  formatEta,
  formatRate,
  selectFileSendError,
  selectRevealed,
  selectTransfers,
  transferStateText,
} from '../slices/transfers/selectors';
import { formatSize } from './format';
import { plainText } from '../../app/ipc/text';
import { personText } from './UserText';

export function TransferList({ conversationId }: { conversationId: string }) {
  const byId = useApp(useMemo(() => selectTransfers(conversationId), [conversationId]));
  const list = useMemo(() => Object.values(byId).sort((a, b) => a.at - b.at), [byId]);
  if (!list.length) return null;
  return (
    <section className="transfers" aria-label="File transfers">
      <ul>
        {list.map((v) => (
          <li key={v.id}>
            <TransferCard v={v} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function TransferCard({ v }: { v: TransferView }) {
  const act = useApp((s) => s.transferAction);
  const reveal = useApp((s) => s.revealTransfer);
  const revealed = useApp(selectRevealed)[v.id];
  const name = v.nameHidden ? 'Encrypted file (name shown after you accept)' : plainText(v.name, 255);
  const pct = v.size > 0 ? Math.min(100, Math.floor((v.bytes / v.size) * 100)) : 0;
  const state = transferStateText(v);
  return (
    <article
      className={`transfer ${v.direction} t-${v.state}`}
      aria-label={`File ${name}, ${v.direction === 'out' ? 'to' : 'from'} ${personText(undefined, v.peer)}`}
      data-state={v.state}
    >
      <p className="transfer-head">
        <bdi className="file-name">{name}</bdi>{' '}
        <span className="muted">
          ({formatSize(v.size)}
          {v.mediaType ? `, ${v.mediaType}` : ''}) · {v.protected ? 'E2E' : 'not end-to-end encrypted'}
        </span>
      </p>
      <p className="transfer-state" role="status">
        {state}
        {v.state === 'transferring'
          ? ` · ${pct}% · ${formatRate(v.rate)}${v.etaSeconds !== undefined ? ` · ${formatEta(v.etaSeconds)}` : ''}`
          : ''}
      </p>
      {v.state === 'transferring' || (v.bytes > 0 && v.state !== 'done') ? (
        <progress max={v.size || 1} value={v.bytes} aria-label={`Progress of ${name}`} />
      ) : null}
      {v.failure && v.state !== 'done' && v.state !== 'declined' ? (
        <p className="bad transfer-error" role="alert">
          {v.failure.reason} ({v.failure.code})
        </p>
      ) : null}
      {v.state === 'offered' && v.executable ? (
        <p className="bad" role="alert">
          This file can run programs on your computer. Accept it only if you expected it.
        </p>
      ) : null}
      <div className="row">
        {v.state === 'offered' ? (
          <>
            <button type="button" className="primary" onClick={() => void act('accept', v.id)}>
              Accept file
            </button>
            <button type="button" onClick={() => void act('decline', v.id)}>
              Decline file
            </button>
          </>
        ) : null}
        {v.state === 'transferring' || v.state === 'offering' ? (
          <button type="button" onClick={() => void act('cancel', v.id)}>
            Cancel transfer
          </button>
        ) : null}
        {v.resumable ? (
          <button type="button" onClick={() => void act('resume', v.id)}>
            Resume transfer
          </button>
        ) : null}
        {v.state === 'done' && v.savedPath ? (
          <button type="button" onClick={() => void reveal(v.id)}>
            Show in folder
          </button>
        ) : null}
      </div>
      {revealed ? (
        <p className="muted">
          Saved to <code>{revealed}</code>
        </p>
      ) : null}
    </article>
  );
}

/** Send-file form: a path on the machine running Parley's main process (the renderer never reads the file). */
export function SendFileForm({ conversationId, onDone }: { conversationId: string; onDone: () => void }) {
  const [path, setPath] = useState('');
  const send = useApp((s) => s.sendFile);
  const error = useApp(useMemo(() => selectFileSendError(conversationId), [conversationId]));
  const id = useId();
  return (
    <form
      className="send-file"
      aria-label="Send a file"
      onSubmit={(e) => {
        e.preventDefault();
        void send(conversationId, path).then((ok) => {
          if (ok) {
            setPath('');
            onDone();
          }
        });
      }}
    >
      <label htmlFor={id}>Path of the file to send</label>
      <div className="composer-row">
        <input id={id} value={path} onChange={(e) => setPath(e.target.value)} placeholder="/home/me/report.pdf" spellCheck={false} />
        <button type="submit" className="primary" disabled={!path.trim()}>
          Send file
        </button>
        <button type="button" onClick={onDone}>
          Close
        </button>
      </div>
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}
