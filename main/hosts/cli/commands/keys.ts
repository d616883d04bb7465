// `parley keys show | fingerprint PEER | verify PEER NUMBER`: identity fingerprint, safety numbers (docs/security.md s.4)
// and out-of-band verification, from a UE profile's key store (offline: no network needed).
import { resolve } from 'node:path';
import { formatFlags, type FlagSpecs } from '../args';
import { CliExit, EXIT, exitCodeOf, UsageError } from '../exit-codes';
import type { Io } from '../ua-run';
import { parseCommandArgs, type Command } from '../command';
import { isParleyError } from '../../../base/errors';
import { normalizeAoR } from '../../../security/aor';
import { PeerKeys } from '../../../security/peers';
import { safetyNumber, safetyNumberDigits, verifySafetyNumber } from '../../../security/safety-number';
import { openProfileKeys, type ProfileKeys } from '../../../ue/profile';
import { derivePsk } from '../../../security/psk';
import { defaultProfileDir, lockProfile } from '../profile';

/** Exit status when the numbers differ (verify) and when the peer's key is not known yet. */
export const EXIT_MISMATCH = EXIT.MISMATCH;
export const EXIT_UNKNOWN_KEY = EXIT.UNKNOWN_KEY;

const FLAGS: FlagSpecs = {
  profile: {
    type: 'string',
    arg: 'DIR',
    help: "profile directory (default $PARLEY_PROFILE or ~/.config/parley-cli; or the web host's / desktop app's data dir)",
  },
  uri: { type: 'string', arg: 'SIP-URI', help: 'account of the profile (default: the one in DIR/account.json)' },
  clear: { type: 'boolean', help: 'psk: remove the pre-shared passphrase with PEER' },
  help: { type: 'boolean', help: 'show help for this command' },
};

/** Minimum pre-shared passphrase length (the IPC contract uses the same). */
const PSK_MIN_CHARS = 8;

async function readPassphrase(): Promise<string> {
  if (process.env.PARLEY_PSK) return process.env.PARLEY_PSK;
  if (process.stdin.isTTY) process.stderr.write('pre-shared passphrase: ');
  let buf = '';
  for await (const chunk of process.stdin) {
    buf += String(chunk);
    const nl = buf.indexOf('\n');
    if (nl >= 0) return buf.slice(0, nl).replace(/\r$/, '');
  }
  return buf;
}

export const keysCommand: Command = {
  name: 'keys',
  flags: FLAGS,
  summary: 'show your key fingerprint, safety numbers with a peer, verify a peer, set a pre-shared passphrase',
  usage: () => `usage: parley keys show                   your identity key fingerprint
       parley keys fingerprint PEER       the safety number with PEER (compare it with theirs)
       parley keys verify PEER NUMBER     mark PEER verified if NUMBER (60 digits, spaces allowed) matches
       parley keys accept PEER            accept the new key PEER presented (after checking it); pinned unverified
       parley keys psk PEER [--clear]     set the pre-shared passphrase with PEER from $PARLEY_PSK (or the first stdin line);
                                          mixed into every message and session key with PEER (docs/security.md s.7)

Reads the key store of a profile (the CLI's, or the web host's / desktop app's with --profile); set PARLEY_PASSPHRASE
when the profile is passphrase-protected. 'verify'/'accept' refuse (PROFILE_IN_USE, exit 2) while another parley command holds the
profile; do not run them while the app has the same profile open.
Exit ${EXIT_MISMATCH}: safety number mismatch; exit ${EXIT_UNKNOWN_KEY}: no key known for PEER yet (exchange a message first).

options:
${formatFlags(FLAGS)}`,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parseCommandArgs(this, argv, io);
    if (!p) return EXIT.OK;
    const [sub, ...args] = p.positionals;
    const want = { show: 0, fingerprint: 1, verify: 2, accept: 1, psk: 1 }[sub ?? ''];
    if (want === undefined)
      throw new UsageError(sub ? `unknown keys subcommand ${sub}` : 'missing subcommand (show, fingerprint, verify, accept, psk)');
    if (args.length < want) throw new UsageError(sub === 'verify' ? 'usage: parley keys verify PEER NUMBER' : 'missing PEER');
    const number = sub === 'verify' ? args.slice(1).join(' ') : undefined;
    if (sub !== 'verify' && args.length > want) throw new UsageError(`unexpected argument ${args[want]}`);
    const dir = p.flags.profile ? resolve(p.flags.profile as string) : defaultProfileDir();
    // verify/accept write the key store: not while another parley process has the profile open.
    const passphrase = sub === 'psk' && !p.flags.clear ? await readPassphrase() : undefined;
    if (passphrase !== undefined && [...passphrase].length < PSK_MIN_CHARS)
      throw new UsageError(`a pre-shared passphrase needs at least ${PSK_MIN_CHARS} characters`);
    const release = sub === 'verify' || sub === 'accept' || sub === 'psk' ? lockProfile(dir, `keys ${sub}`) : () => {};
    let keys: ProfileKeys;
    try {
      keys = await openProfileKeys(dir, { aor: p.flags.uri as string | undefined, env: process.env });
    } catch (e) {
      release();
      if (isParleyError(e)) throw new CliExit(exitCodeOf(e, EXIT.USAGE), `${e.code}: ${e.message}`);
      throw e;
    }
    try {
      const me = keys.ks.identity();
      if (sub === 'show') {
        io.out(`${me.aor}\n  fingerprint ${me.fingerprint}`);
        if (keys.protection === 'key-file') io.err('note: this profile is protected by a key file only (no passphrase)');
        return EXIT.OK;
      }
      const peer = peerOf(args[0]!, me.aor);
      if (sub === 'psk') {
        if (passphrase === undefined) {
          await keys.ks.deletePsk(peer);
          io.out(`removed the pre-shared passphrase with ${peer}`);
        } else {
          await keys.ks.setPsk(peer, await derivePsk(passphrase, me.aor, peer));
          io.out(`pre-shared passphrase set for ${peer}: messages and sessions with ${peer} are now also bound to it (e2e psk)`);
        }
        return EXIT.OK;
      }
      const peers = PeerKeys.fromKeyStore(keys.ks);
      const info = peers.get(peer);
      if (sub === 'accept') {
        if (info.state !== 'changed') {
          io.out(`${peer}: no key change to accept (${info.state}${info.fingerprint ? `, fingerprint ${info.fingerprint}` : ''})`);
          return EXIT.OK;
        }
        await peers.acceptChangedKey(peer);
        io.out(
          `accepted the new key of ${peer} (fingerprint ${peers.get(peer).fingerprint}, unverified): compare safety numbers (parley keys fingerprint ${args[0]})`,
        );
        return EXIT.OK;
      }
      if (!info.key) throw new CliExit(EXIT_UNKNOWN_KEY, `no key known for ${peer} yet: exchange a message first`);
      const own = { aor: me.aor, key: me.publicKey };
      const them = { aor: peer, key: info.key };
      if (sub === 'fingerprint') {
        io.out(`safety number with ${peer}:\n  ${safetyNumber(own, them)}\n  ${peer} fingerprint ${info.fingerprint} (${info.state})`);
        if (info.state === 'changed')
          io.err(`warning: ${peer} presented a new key (${info.pendingFingerprint}); check it, then parley keys accept ${args[0]}`);
        return EXIT.OK;
      }
      let ok: boolean;
      try {
        ok = verifySafetyNumber(number!, safetyNumberDigits(own, them));
      } catch {
        throw new UsageError('a safety number has 60 digits (groups of 5 may be separated by spaces)');
      }
      if (!ok)
        throw new CliExit(EXIT_MISMATCH, `MISMATCH: the number does not match the key pinned for ${peer}; do not trust this conversation`);
      await peers.markVerified(peer, info.key);
      io.out(`verified ${peer} (fingerprint ${info.fingerprint})`);
      return EXIT.OK;
    } catch (e) {
      if (isParleyError(e, 'PEER_KEY_CHANGED')) throw new CliExit(exitCodeOf(e, EXIT_MISMATCH), e.message);
      throw e;
    } finally {
      await keys.ks.close();
      release();
    }
  },
};

function peerOf(target: string, myAor: string): string {
  const domain = myAor.split('@')[1];
  const uri = /^(sips?|tel):/i.test(target) ? target : `sip:${target.includes('@') ? target : `${target}@${domain}`}`;
  try {
    return normalizeAoR(uri);
  } catch {
    throw new UsageError(`not a SIP address: ${target}`);
  }
}
