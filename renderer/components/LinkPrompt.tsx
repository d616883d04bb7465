import { useApp } from '../hooks';
import { selectLinkPrompt } from '../slices/ui/selectors';
import { Dialog } from './Dialog';

/** Web host mode: main cannot open links, so the user sees the exact URL and opens it themselves. */
export function LinkPrompt() {
  const d = useApp(selectLinkPrompt);
  const close = useApp((s) => s.closeLinkPrompt);
  if (!d) return null;
  return (
    <Dialog title="Open link?" onClose={close}>
      <p>This link leads outside Parley:</p>
      <p className="url">
        <code>{d.url}</code>
      </p>
      <div className="row">
        <a className="button primary" href={d.url} target="_blank" rel="noopener noreferrer" onClick={close}>
          Open in a new tab
        </a>
        <button type="button" onClick={close}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
