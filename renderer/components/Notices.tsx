import { useApp } from '../hooks';
import { selectNotices } from '../slices/ui/selectors';

export function Notices() {
  const notices = useApp(selectNotices);
  const dismiss = useApp((s) => s.dismissNotice);
  return (
    <div className="notices" aria-live="assertive">
      {notices.map((n) => (
        <div key={n.id} className={`notice ${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'}>
          <span>{n.text}</span>
          <button type="button" className="ghost" onClick={() => dismiss(n.id)} aria-label="Dismiss notice">
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
