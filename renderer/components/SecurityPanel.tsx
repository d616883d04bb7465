// Security panel: hop-by-hop vs end-to-end facts, the safety number (groups of 5) and its QR code, verify action.
import { useId, useMemo, useState } from 'react';
import { useApp } from '../hooks';
import { groupDigits } from '../slices/security/slice';
import { securityFacts, selectPanelFor, selectSafety, selectSecurity, selectVerifyResult } from '../slices/security/selectors';
import { Dialog } from './Dialog';

export function SecurityPanel() {
  const id = useApp(selectPanelFor);
  const c = useApp((s) => (id ? s.conversations.byId[id] : undefined));
  const sec = useApp(useMemo(() => selectSecurity(id), [id]));
  const safety = useApp(useMemo(() => selectSafety(id), [id]));
  const result = useApp(useMemo(() => selectVerifyResult(id), [id]));
  const close = useApp((s) => s.closeSecurityPanel);
  const verify = useApp((s) => s.verifyPeer);
  const accept = useApp((s) => s.acceptKeyChange);
  const setPsk = useApp((s) => s.setPsk);
  const [typed, setTyped] = useState('');
  const [psk, setPskText] = useState('');
  const inputId = useId();
  const pskId = useId();
  if (!id || !c) return null;
  const f = securityFacts(sec, c.security);

  return (
    <Dialog title={`Security: ${c.title}`} onClose={close}>
      {f ? (
        <dl className="facts">
          <dt>Network (hop-by-hop)</dt>
          <dd className={f.hop.on ? 'ok' : 'bad'}>{f.hop.text}</dd>
          <dt>Messages (end-to-end)</dt>
          <dd className={f.e2e.on ? 'ok' : 'bad'}>
            {f.e2e.text}
            {sec?.e2e.scheme ? ` (${sec.e2e.scheme})` : ''}
          </dd>
          <dt>Contact</dt>
          <dd className={f.peer.ok ? 'ok' : 'bad'}>{f.peer.text}</dd>
        </dl>
      ) : null}
      {f?.sendBlocked ? (
        <div className="banner warn" role="alert">
          <p>The contact&apos;s key changed. Sending is paused until you accept it.</p>
          <button type="button" className="primary" onClick={() => void accept(c.id)}>
            Accept new key
          </button>
        </div>
      ) : null}
      <h3>Pre-shared passphrase</h3>
      <form
        className="verify"
        onSubmit={(e) => {
          e.preventDefault();
          void setPsk(c.id, psk).then((ok) => ok && setPskText(''));
        }}
      >
        <label htmlFor={pskId}>
          A passphrase you agreed with {c.title} out of band (at least 8 characters). It protects the first contact against key
          substitution; both of you must set the same one.
        </label>
        <input id={pskId} type="password" autoComplete="off" minLength={8} value={psk} onChange={(e) => setPskText(e.target.value)} />
        <button type="submit" className="primary" disabled={[...psk].length < 8}>
          Use this passphrase
        </button>
        {f?.e2e.text.includes('pre-shared') ? (
          <button type="button" onClick={() => void setPsk(c.id, null)}>
            Remove the passphrase
          </button>
        ) : null}
      </form>
      <h3>Safety number</h3>
      {safety ? (
        <>
          <p className="safety-number" aria-label={`Safety number ${groupDigits(safety.digits).join(' ')}`}>
            {groupDigits(safety.digits).map((g, i) => (
              <span key={i} className="sn-group">
                {g}
              </span>
            ))}
          </p>
          <img className="qr" src={safety.qrDataUri} alt="QR code of the safety number, for the contact to scan" width={192} height={192} />
          <p className="muted">Compare these digits with the ones {c.title} sees, in person or on a call you trust.</p>
          <form
            className="verify"
            onSubmit={(e) => {
              e.preventDefault();
              void verify(c.id, typed || safety.digits);
            }}
          >
            <label htmlFor={inputId}>Digits your contact reads out (optional)</label>
            <input id={inputId} inputMode="numeric" value={typed} onChange={(e) => setTyped(e.target.value)} placeholder="12345 67890 …" />
            <button type="submit" className="primary">
              {typed ? 'Check and mark as verified' : 'They match: mark as verified'}
            </button>
          </form>
          {result === true ? (
            <p role="status" className="ok">
              Verified.
            </p>
          ) : null}
          {result === false ? (
            <p role="alert" className="bad">
              The numbers do not match. Do not mark this contact as verified.
            </p>
          ) : null}
        </>
      ) : (
        <p role="status" className="muted">
          Loading…
        </p>
      )}
    </Dialog>
  );
}
