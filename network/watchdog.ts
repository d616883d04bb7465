// Orphan protection for child processes the lab starts (Kamailio, SIP peers): they die with this Node process.
import { spawn, type ChildProcess } from 'node:child_process';

/**
 * `proc` must be spawned with `detached: true` (its own process group). A tiny `sh` reads a pipe from us; when this
 * Node process dies without cleaning up (crash, SIGKILL, test-runner timeout) the pipe hits EOF and the shell
 * SIGTERMs the whole group. After a normal exit of `proc` the pipe is closed and the shell's kill finds nothing.
 */
export function guardProcessGroup(proc: ChildProcess): void {
  if (!proc.pid) return;
  const dog = spawn('/bin/sh', ['-c', `cat >/dev/null; kill -TERM -${proc.pid} 2>/dev/null`], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  dog.on('error', () => undefined);
  dog.stdin?.on('error', () => undefined);
  dog.unref();
  (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  proc.once('exit', () => dog.stdin?.end());
}
