// The icons the shell uses at run time (repo-relative; electron-builder.yml packs these files next to dist/): the window
// icon on Linux and Windows (macOS takes the bundle's assets/icon.icns) and the picture beside a notification's text.
// Sources and sizes: assets/ and scripts/build-icons.mjs; app/tests/assets.test.ts checks config and files agree.
import { resolve } from 'node:path';

export const WINDOW_ICON = 'assets/icons/256x256.png';
export const NOTIFICATION_ICON = 'assets/icons/256x256.png';
/** For a menu-bar / tray icon (none yet): a macOS template image, black with transparency, and its @2x file beside it. */
export const TRAY_ICON = 'assets/trayTemplate.png';

/** An icon's absolute path from the built main bundle's folder (dist/app/, inside app.asar once packaged). */
export function iconPath(bundleDir: string, file: string): string {
  return resolve(bundleDir, '../..', file);
}
