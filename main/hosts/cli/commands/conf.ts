// `parley conf create|join|invite|nick|say|private|leave`: chat conferences through the conference focus (RFC 4579,
// RFC 4575, RFC 7701) with group E2E keys from a UE profile (docs/conferences.md). --json: one JSON object per event line.
import { accountMedia } from '../../../media/account-media';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { formatFlags, type FlagSpecs, type Parsed } from '../args';
import { ACCOUNT_FLAGS, resolveAccount } from '../account';
import { CliExit, EXIT, exitCodeFor, exitCodeOf, UsageError } from '../exit-codes';
import { startRegistered, type Io } from '../ua-run';
import { parseCommandArgs, type Command } from '../command';
import { isParleyError, type ParleyError } from '../../../base/errors';
import { E2EContext } from '../../../security/e2e';
import { openProfileKeys } from '../../../ue/profile';
import { profileDirOf } from '../profile';
import { ConferenceClient } from '../../../features/conference/client';
import type { ConferenceRoom } from '../../../features/conference/room';
import { securityBundle, type SecurityBundle } from '../../../security/bundle';

const FLAGS: FlagSpecs = {
  ...ACCOUNT_FLAGS,
  keys: {
    type: 'string',
    arg: 'DIR',
    help: 'UE profile whose key store gives the E2E identity and pins (default: --profile; PARLEY_PASSPHRASE if locked)',
  },
  plaintext: { type: 'boolean', help: 'no end-to-end encryption (rooms are group-encrypted with the profile keys by default)' },
  invite: { type: 'string', arg: 'URI', multiple: true, help: 'create: invite URI (repeat the flag, or comma-separate)' },
  subject: { type: 'string', arg: 'TEXT', help: 'create: room subject' },
  interactive: {
    type: 'boolean',
    help: 'create/join: stay in the room; stdin lines are sent (/nick N, /msg WHO TEXT, /invite URI, /who, /security, /leave)',
  },
  json: { type: 'boolean', help: 'one JSON object per event line on stdout' },
  'keys-wait': { type: 'string', arg: 'SECONDS', help: "say/private with E2E: wait this long for every member's key (default 5)" },
};

const SUBS: Record<string, number> = { create: 0, join: 1, invite: 2, nick: 2, say: 2, private: 3, leave: 1 };

/** `--invite` may be repeated (a `multiple` flag), and each value may be a comma list. */
export function invitesOf(p: Parsed): string[] {
  return ((p.flags.invite as string[] | undefined) ?? [])
    .flatMap((v) => v.split(','))
    .map((x) => x.trim())
    .filter(Boolean);
}

const USAGE = `usage: parley conf create [--invite URI ...] [--subject TEXT] [--interactive]
       parley conf join ROOM [--interactive]
       parley conf invite ROOM URI
       parley conf nick ROOM NAME
       parley conf say ROOM TEXT
       parley conf private ROOM PARTICIPANT TEXT
       parley conf leave ROOM

ROOM is sip:conf-<id>@domain (printed by create). Without --interactive a command joins the room, does its one thing and
leaves (BYE), so 'nick' and 'leave' only matter inside --interactive (/nick, /leave). Messages are group-encrypted
with the profile's keys (--profile, or --keys DIR) unless --plaintext is given. Exit 4: the focus refused (full room 486, no such room 404,
nickname taken 425), 5: timeout.

options:
${formatFlags(FLAGS)}`;

/** The command; `input` is where --interactive reads lines (stdin). */
export function createConfCommand(input: NodeJS.ReadableStream = process.stdin): Command {
  return {
    name: 'conf',
    flags: FLAGS,
    summary: 'chat conferences: create, join, invite, nick, say, private, leave',
    usage: () => USAGE,
    async run(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
      const p = parseCommandArgs(this, argv, io);
      if (!p) return EXIT.OK;
      const invites = invitesOf(p);
      const [sub, ...args] = p.positionals;
      if (invites.length && sub !== 'create') throw new UsageError('--invite goes with create (use: parley conf invite ROOM URI)');
      if (!sub || SUBS[sub] === undefined)
        throw new UsageError(
          sub ? `unknown conf subcommand ${sub}` : 'missing subcommand (create, join, invite, nick, say, private, leave)',
        );
      const need = SUBS[sub];
      if (args.length < need) throw new UsageError(`conf ${sub}: missing argument`);
      if (args.length > need) throw new UsageError(`unexpected argument ${args[need]} (quote the text)`);
      if (p.flags.interactive && sub !== 'create' && sub !== 'join') throw new UsageError('--interactive goes with create or join');
      const { account, timeoutMs } = resolveAccount(p);
      const out = printer(io, !!p.flags.json);
      // End-to-end by default with the profile's keys (--keys DIR overrides the profile; --plaintext turns E2E off).
      const security = p.flags.plaintext ? undefined : await loadSecurity(p, account.aor);
      const ua = await startRegistered(account, timeoutMs);
      const media = accountMedia(ua);
      const client = new ConferenceClient({ ua, endpoint: media.endpoint, router: media.router, security });
      try {
        await client.start();
        const room = await enter(client, sub, args, p, invites, timeoutMs);
        watch(room, out);
        out('joined', { room: room.uri, e2e: security ? 'on' : 'off', subject: room.subject });
        if (p.flags.interactive) return await interactive(room, out, input, signal);
        const keysWait = Number(p.flags['keys-wait'] ?? 5) * 1000;
        switch (sub) {
          case 'invite':
            await room.invite([args[1]]);
            out('invited', { uri: args[1] });
            break;
          case 'nick':
            await room.setNickname(args[1]);
            out('nickname', { nickname: args[1] });
            break;
          case 'say':
            await keysReady(room, keysWait);
            report(out, await room.say(args[1]));
            break;
          case 'private':
            await keysReady(room, keysWait);
            report(out, await room.sendPrivate(args[1], args[2]));
            break;
          default:
            break;
        }
        room.leave();
        out('left', { room: room.uri });
        return EXIT.OK;
      } catch (e) {
        if (isParleyError(e)) throw new CliExit(exitCodeOf(e, EXIT.SIP_FAILURE), `${e.code}: ${e.message}`);
        throw e;
      } finally {
        await client.stop().catch(() => {});
        await media.close();
        await ua.stop().catch(() => {});
      }
    },
  };
}

export const confCommand: Command = createConfCommand();

type Out = (event: string, data: Record<string, unknown>) => void;

function printer(io: Io, json: boolean): Out {
  return (event, data) => {
    if (json) {
      io.out(JSON.stringify({ event, ...data }));
      return;
    }
    const d = data as Record<string, string | boolean | undefined>;
    if (event === 'message')
      io.out(
        `${d.private ? '[private] ' : ''}${d.nickname ?? d.from}${d.protected ? '' : ' (NOT encrypted)'}: ${d.text ?? `<${d.contentType}>`}`,
      );
    else
      io.out(
        `${event} ${Object.entries(data)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ')}`,
      );
  };
}

async function loadSecurity(p: Parsed, aor: string): Promise<SecurityBundle> {
  try {
    const dir = p.flags.keys ? resolve(p.flags.keys as string) : profileDirOf(p);
    const keys = await openProfileKeys(dir, { aor, env: process.env });
    return securityBundle(new E2EContext(keys.ks));
  } catch (e) {
    if (isParleyError(e)) throw new CliExit(exitCodeOf(e, EXIT.USAGE), `${e.code}: ${e.message}`);
    throw e;
  }
}

async function enter(
  client: ConferenceClient,
  sub: string,
  args: string[],
  p: Parsed,
  invites: string[],
  timeoutMs: number,
): Promise<ConferenceRoom> {
  if (sub === 'create') {
    return client.create({
      invite: invites.map((u) => target(u, client.domain)),
      subject: p.flags.subject as string | undefined,
      timeoutMs,
    });
  }
  return client.join(target(args[0], client.domain), { timeoutMs });
}

function target(t: string, domain: string): string {
  return /^sips?:/i.test(t) ? t : `sip:${t.includes('@') ? t : `${t}@${domain}`}`;
}

function watch(room: ConferenceRoom, out: Out): void {
  room.on('message', (m) =>
    out('message', {
      room: m.roomUri,
      from: m.from,
      nickname: m.nickname,
      private: m.private,
      protected: m.protected,
      contentType: m.contentType,
      text: m.text,
      id: m.imdnMessageId,
      epoch: m.epoch,
    }),
  );
  room.on('participants', (c) =>
    out('participants', {
      list: c.list.map((x) => ({ aor: x.aor, nickname: x.nickname })),
      joined: c.joined.map((x) => x.aor),
      left: c.left,
      changed: c.changed.map((x) => x.aor),
    }),
  );
  room.on('security', (s) =>
    out('security', { epoch: s.epoch, allKeyed: s.allKeyed, verified: s.verified, unverified: s.unverified, changed: s.changed }),
  );
  room.on('undelivered', (u) => out('undelivered', u));
  room.on('error', (e: ParleyError) => out('error', { code: e.code, message: e.message }));
  room.on('state', (s) => out('state', { state: s }));
}

function report(out: Out, r: { status: string; imdnMessageId: string; reason?: string; errorCode?: string }): void {
  out(r.status, { id: r.imdnMessageId, ...(r.errorCode ? { code: r.errorCode, reason: r.reason } : {}) });
  if (r.status !== 'sent') throw new CliExit(exitCodeFor(r.errorCode, EXIT.SIP_FAILURE), `${r.errorCode}: ${r.reason}`);
}

/** E2E rooms: wait (bounded) until every member has our key and we have theirs, so the message is readable at once. */
function keysReady(room: ConferenceRoom, ms: number): Promise<void> {
  if (!room.crypto) return Promise.resolve();
  return new Promise((res) => {
    const check = () => {
      if (room.participants.length > 0 && room.security().allKeyed) done();
    };
    const done = () => {
      clearTimeout(t);
      room.off('security', check);
      room.off('participants', check);
      res();
    };
    const t = setTimeout(done, ms);
    room.on('security', check);
    room.on('participants', check);
    check();
  });
}

async function interactive(room: ConferenceRoom, out: Out, input: NodeJS.ReadableStream, signal?: AbortSignal): Promise<number> {
  const rl = createInterface({ input, terminal: false });
  const ended = new Promise<void>((r) => {
    room.on('state', (s) => {
      if (s !== 'joined') r();
    });
    signal?.addEventListener('abort', () => r(), { once: true });
    rl.on('close', () => r());
  });
  rl.on(
    'line',
    (line) =>
      void command(room, line.trim(), out).catch((e: Error) =>
        out('error', { code: isParleyError(e) ? e.code : 'ERROR', message: e.message }),
      ),
  );
  await ended;
  rl.close();
  room.leave();
  out('left', { room: room.uri });
  return EXIT.OK;
}

async function command(room: ConferenceRoom, line: string, out: Out): Promise<void> {
  if (!line) return;
  const [cmd, ...rest] = line.split(/\s+/);
  if (!line.startsWith('/')) return report(out, await room.say(line));
  switch (cmd) {
    case '/nick':
      await room.setNickname(rest.join(' '));
      out('nickname', { nickname: rest.join(' ') });
      return;
    case '/msg':
      return report(out, await room.sendPrivate(rest[0] ?? '', rest.slice(1).join(' ')));
    case '/invite':
      await room.invite(rest.map((u) => target(u, room.me.split('@')[1])));
      out('invited', { uris: rest });
      return;
    case '/who':
      out('participants', { list: room.participants.map((x) => ({ aor: x.aor, nickname: x.nickname })) });
      return;
    case '/security':
      out('security', { ...room.security() });
      return;
    case '/leave':
      room.leave();
      return;
    default:
      out('error', { code: 'CLI_UNKNOWN_COMMAND', message: `unknown command ${cmd}` });
  }
}
