// Preload (sandboxed, context-isolated): exposes two verbs (and pathForFile for drops) as window.parley, never ipcRenderer. Channel names are
// checked against the contract here; payloads are validated in main (requests) and in the renderer (responses/events).
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { isEventChannel, isInvokeChannel, IPC_ERROR } from './ipc/contract';
import { EVENT_CHANNEL, PICKED_CHANNEL } from './preload-channel';

contextBridge.exposeInMainWorld('parley', {
  invoke(channel: unknown, payload: unknown) {
    if (!isInvokeChannel(channel)) {
      return Promise.resolve({ ok: false, error: { code: IPC_ERROR.unknownChannel, message: 'unknown channel' } });
    }
    return ipcRenderer.invoke(channel, payload);
  },
  /** The path of a dropped file, recorded in main as picked; '' for anything that is not a real dropped file. */
  async pathForFile(file: unknown): Promise<string> {
    let path: string;
    try {
      path = webUtils.getPathForFile(file as File);
    } catch {
      return '';
    }
    if (!path) return '';
    return ((await ipcRenderer.invoke(PICKED_CHANNEL, path)) as string | null) ?? '';
  },
  on(event: unknown, cb: unknown) {
    if (!isEventChannel(event) || typeof cb !== 'function') return () => {};
    const listener = (_e: IpcRendererEvent, name: unknown, payload: unknown) => {
      if (name === event) (cb as (p: unknown) => void)(payload);
    };
    ipcRenderer.on(EVENT_CHANNEL, listener);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, listener);
    };
  },
});
