import type { AppState } from '../shared';

export const selectUpdate = (s: AppState) => s.update;

/** The banner's line for an update state, or null when there is nothing to say. */
export function updateBannerText(s: AppState['update']): { text: string; ready: boolean } | null {
  const v = s.view;
  if (!v?.version || s.dismissed === v.version) return null;
  if (v.state === 'ready') return { text: `Parley ${v.version} is ready to install.`, ready: true };
  if (v.state === 'downloading') return { text: `Downloading Parley ${v.version}… ${v.percent ?? 0}%`, ready: false };
  return null;
}
