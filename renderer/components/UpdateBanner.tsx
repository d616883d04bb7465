// "Parley 0.2.0 is ready to install. [Restart to update] [Later]", and the download's progress before that. The shell
// downloads and verifies updates by itself (app/updater.ts); this only shows the state and asks for the restart.
import { useApp } from '../hooks';
import { selectUpdate, updateBannerText } from '../slices/update/selectors';

export function UpdateBanner() {
  const update = useApp(selectUpdate);
  const install = useApp((s) => s.installUpdate);
  const dismiss = useApp((s) => s.dismissUpdate);
  const line = updateBannerText(update);
  if (!line) return null;
  return (
    <section className="update-banner" aria-label="Application update" role="status">
      <span>{line.text}</span>
      {line.ready ? (
        <>
          <span className="muted"> It is installed when Parley restarts.</span>
          <span className="spacer" />
          <button type="button" onClick={() => void install()} disabled={update.installing}>
            {update.installing ? 'Restarting…' : 'Restart to update'}
          </button>
          <button type="button" className="ghost" onClick={dismiss}>
            Later
          </button>
        </>
      ) : null}
    </section>
  );
}
