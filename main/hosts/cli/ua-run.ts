// Starting and stopping a registered UA for one CLI command, with failures mapped to exit codes.
import { isParleyError } from '../../base/errors';
import { SipUserAgent, type SipAccount } from '../../net/sip/ua';
import { CliExit, EXIT, exitCodeOf } from './exit-codes';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const defaultIo: Io = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
};

/** Registers; on failure throws CliExit with the registry's exit code for the failure (3 auth/TLS/registrar, 5 timeout). */
export async function startRegistered(account: SipAccount, timeoutMs: number): Promise<SipUserAgent> {
  let ua: SipUserAgent;
  try {
    ua = new SipUserAgent(account);
  } catch (e) {
    throw new CliExit(EXIT.REGISTRATION, `cannot set up the account: ${(e as Error).message}`);
  }
  try {
    await ua.start(timeoutMs);
    return ua;
  } catch (e) {
    await ua.stop().catch(() => {});
    const exit = exitCodeOf(e, EXIT.REGISTRATION);
    if (exit === EXIT.TIMEOUT) {
      const last = ua.lastError ? ` (last error: ${ua.lastError.message})` : '';
      throw new CliExit(exit, `registration timed out after ${timeoutMs / 1000} s${last}`);
    }
    const code = isParleyError(e) ? e.code : 'ERROR';
    throw new CliExit(exit, `registration failed [${code}]: ${(e as Error).message}`);
  }
}
