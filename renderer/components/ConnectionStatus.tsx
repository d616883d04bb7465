import { useApp } from '../hooks';
import { connectionLabel, selectConnection, selectLink } from '../slices/account/selectors';

/** Registration state with its reason, plus the link to main (web host) when it is not open. */
export function ConnectionStatus() {
  const c = useApp(selectConnection);
  const link = useApp(selectLink);
  const text = link.status !== 'open' ? (link.reason ?? 'Connecting to Parley…') : connectionLabel(c);
  const state = link.status !== 'open' ? (link.status === 'closed' ? 'error' : 'connecting') : c.state;
  const secure = c.transport === 'tls' || c.transport === 'wss';
  return (
    <div className={`conn conn-${state}`} role="status" aria-live="polite" data-state={state}>
      <span className="dot" aria-hidden="true" />
      <span className="conn-text">{text}</span>
      {link.status === 'open' && c.state === 'registered' ? (
        <span className="conn-transport">
          {c.transport.toUpperCase()}
          {secure ? (c.tls?.verified ? ' · certificate verified' : ' · certificate not verified') : ''}
        </span>
      ) : null}
    </div>
  );
}
