// Routes one invoke (channel, payload) to the backend or the shell, validating the request on the way in and the
// response on the way out (strict view schemas: nothing but the declared public fields can leave main).
// Used by the web host (WebSocket) and by the Electron shell (ipcMain.handle).
import {
  callBackend,
  eventChannels,
  invokeChannels,
  IPC_ERROR,
  isInvokeChannel,
  isShellChannel,
  toIpcError,
  type BackendChannel,
  type IpcErrorShape,
  type Req,
  type Res,
  type ShellChannel,
  type UeBackend,
  type UeEvent,
} from './contract';
import { check, formatIssues } from './schema';

/** Channels answered by the shell itself (not the UE). */
export type ShellHandlers = { [C in ShellChannel]: (req: Req<C>) => Promise<Res<C>> };

export type DispatchResult = { ok: true; result: unknown } | { ok: false; error: IpcErrorShape };

export interface DispatchOptions {
  log?: (line: string) => void;
}

export async function dispatchInvoke(
  backend: UeBackend,
  shell: ShellHandlers,
  channel: unknown,
  payload: unknown,
  opts: DispatchOptions = {},
): Promise<DispatchResult> {
  if (!isInvokeChannel(channel)) {
    return {
      ok: false,
      error: { code: IPC_ERROR.unknownChannel, message: `unknown channel ${JSON.stringify(String(channel).slice(0, 64))}` },
    };
  }
  const spec = invokeChannels[channel];
  const req = check(spec.request, payload);
  if (!req.ok) return { ok: false, error: { code: IPC_ERROR.badPayload, message: `${channel}: ${formatIssues(req.issues)}` } };
  let result: unknown;
  try {
    result = isShellChannel(channel)
      ? await (shell[channel] as (r: unknown) => Promise<unknown>)(req.value)
      : await callBackend(backend, channel as BackendChannel, req.value as Req<BackendChannel>);
  } catch (e) {
    const err = toIpcError(e);
    // The renderer gets the user text; the technical message is logged here, in main, so it is not lost.
    if (err.code === IPC_ERROR.internal) opts.log?.(`ipc ${channel}: unexpected error: ${describe(e)}`);
    else if (err.message !== (e as Error).message) opts.log?.(`ipc ${channel}: ${err.code}: ${(e as Error).message}`);
    return { ok: false, error: err };
  }
  const res = check(spec.response, result);
  if (!res.ok) {
    opts.log?.(`ipc ${channel}: backend response violates the contract: ${formatIssues(res.issues)}`);
    return { ok: false, error: { code: IPC_ERROR.internal, message: 'Internal error' } };
  }
  if (res.dropped)
    opts.log?.(`ipc ${channel}: left out ${res.dropped.length} item(s) that violate the contract: ${formatIssues(res.dropped)}`);
  return { ok: true, result: res.value };
}

/** Validates an outgoing event; returns null (and logs) when the backend emitted something off-contract. */
export function checkEvent(e: UeEvent, opts: DispatchOptions = {}): UeEvent | null {
  const schema = eventChannels[e.event];
  if (!schema) {
    opts.log?.(`ipc event: unknown event ${String(e.event)}`);
    return null;
  }
  const r = check(schema, e.payload);
  if (!r.ok) {
    opts.log?.(`ipc event ${e.event}: payload violates the contract: ${formatIssues(r.issues)}`);
    return null;
  }
  if (r.dropped)
    opts.log?.(`ipc event ${e.event}: left out ${r.dropped.length} item(s) that violate the contract: ${formatIssues(r.dropped)}`);
  return { event: e.event, payload: r.value } as UeEvent;
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
