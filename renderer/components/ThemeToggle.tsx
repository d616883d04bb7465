import { useApp } from '../hooks';
import { selectTheme } from '../slices/ui/selectors';
import type { Theme } from '../slices/ui/state';

const NEXT: Record<Theme, Theme> = { system: 'light', light: 'dark', dark: 'system' };
const LABEL: Record<Theme, string> = { system: 'Theme: system', light: 'Theme: light', dark: 'Theme: dark' };

export function ThemeToggle() {
  const theme = useApp(selectTheme);
  const setTheme = useApp((s) => s.setTheme);
  return (
    <button type="button" className="ghost" onClick={() => setTheme(NEXT[theme])} aria-label={`${LABEL[theme]} (change)`}>
      {LABEL[theme]}
    </button>
  );
}
