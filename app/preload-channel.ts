/** The single Electron IPC channel carrying main -> renderer events as (eventName, payload). */
export const EVENT_CHANNEL = 'parley:event';
