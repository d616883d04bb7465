import type { ConversationView, SecurityView } from '../../app/ipc/contract';
import { securityFacts } from '../slices/security/selectors';

/** Three separate facts: hop-by-hop TLS, end-to-end protection, peer verification. */
export function SecurityBadge({
  summary,
  view,
  compact,
  hideText,
}: {
  summary?: ConversationView['security'];
  view?: SecurityView;
  compact?: boolean;
  /** The facts are said elsewhere (a conversation row says them after the title): icons only, hidden from readers. */
  hideText?: boolean;
}) {
  const f = securityFacts(view, summary);
  if (!f) return null;
  const items = [
    { key: 'hop', on: f.hop.on, icon: f.hop.on ? '✓' : '✗', short: f.hop.on ? 'TLS' : 'No TLS', text: f.hop.text },
    { key: 'e2e', on: f.e2e.on, icon: f.e2e.on ? '✓' : '✗', short: f.e2e.on ? 'E2E' : 'No E2E', text: f.e2e.text },
    {
      key: 'peer',
      on: f.peer.ok,
      icon: f.peer.ok ? '✔' : f.sendBlocked ? '⚠' : '?',
      short: f.peer.ok ? 'Verified' : f.sendBlocked ? 'Key changed' : 'Unverified',
      text: f.peer.text,
    },
  ];
  return (
    <span className={`sec-badge ${compact ? 'compact' : ''}`} aria-hidden={hideText ? 'true' : undefined}>
      {items.map((i) => (
        <span key={i.key} className={`sec-item sec-${i.key} ${i.on ? 'on' : 'off'}`} title={i.text}>
          <span aria-hidden="true">{i.icon}</span>
          {compact ? <span className="sr-only">{i.text}</span> : <span>{i.short}</span>}
          {compact ? null : <span className="sr-only">: {i.text}</span>}
        </span>
      ))}
    </span>
  );
}
