/** The single Electron IPC channel carrying main -> renderer events as (eventName, payload). */
export const EVENT_CHANNEL = 'parley:event';
/** Preload -> main: the path of a file dropped on the window (webUtils.getPathForFile), recorded as picked. Not a contract
 *  channel: the page cannot send on it, only the preload's pathForFile can. */
export const PICKED_CHANNEL = 'parley:picked';
