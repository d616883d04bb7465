// File transfer through every MSRP path of the lab (issue 11, defect 1): {direct, relayed} sender x {direct, relayed}
// receiver x {msrp, msrps}, a file each way between the two parties of a combination, SHA-256 checked at the receiver
// and 'delivered' (the final Success-Report came back) at the sender. One lab and one party per role for the matrix.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startLab, removeLabState, type Lab } from '../../../network/lab';
import { SipUserAgent } from '../../net/sip/ua';
import { accountFor, nextEvent } from '../../net/sip/testing';
import { ephemeralSecurity } from '../../security/bundle';
import { accountMedia, type AccountMedia } from '../../media/account-media';
import { FileTransferManager } from './manager';
import type { IncomingFileOffer } from './incoming';
import { tempDir, writeTestFile } from './testing';
import { sha256File } from './prepare';

/**
 * Bound for every wait in here: a lost frame must fail in seconds, naming the combination, the direction and the last
 * stage reached. (A transfer is ~10 round trips through Kamailio; 15 s leaves room for a machine shared by many runs.)
 */
const WAIT_MS = 15_000;
/** 25 chunks through a relay (4 KiB), one on a direct connection. */
const FILE_BYTES = 100 * 1024;

type Kind = { relayed: boolean; secure: boolean };
const label = (k: Kind) => (k.relayed ? 'relayed' : 'direct');
const USERS: Record<'caller' | 'callee', string[]> = {
  caller: ['alice', 'bob', 'carol', 'dave'],
  callee: ['erin', 'frank', 'grace', 'heidi'],
};
const slot = (k: Kind) => (k.relayed ? 2 : 0) + (k.secure ? 1 : 0);

interface Party {
  ua: SipUserAgent;
  ft: FileTransferManager;
  media: AccountMedia;
  aor: string;
}

function bounded<T>(p: Promise<T>, what: string, stage: () => string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`${what}: nothing within ${WAIT_MS} ms (reached: ${stage()})`)), WAIT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

describe('file transfer: {direct, relayed} x {direct, relayed} x {msrp, msrps} through the lab', () => {
  let lab: Lab;
  const parties = new Map<string, Party>();
  const tmp = tempDir();
  let file: { path: string; sha: string };

  before(async () => {
    lab = await startLab({ accounts: [...USERS.caller, ...USERS.callee].map((user) => ({ user, password: `${user}-secret` })) });
    const ca = readFileSync(lab.caFile, 'utf8');
    const p = path.join(tmp.dir, 'matrix.dat');
    file = { path: p, sha: await writeTestFile(p, FILE_BYTES, 11) };
    const made: Promise<void>[] = [];
    for (const role of ['caller', 'callee'] as const)
      for (const relayed of [false, true])
        for (const secure of [false, true]) {
          const user = USERS[role][slot({ relayed, secure })];
          const relay = relayed ? { uri: secure ? lab.relay.tls : lab.relay.tcp, ca } : undefined;
          made.push(
            (async () => {
              const ua = new SipUserAgent(accountFor(lab, user, 'tcp'));
              ua.on('error', () => {});
              await ua.start();
              const media = accountMedia(ua, { relay });
              const security = await ephemeralSecurity(lab.aor(user));
              const ft = new FileTransferManager({ ua, endpoint: media.endpoint, router: media.router, security, tls: secure });
              ft.on('error', () => {});
              parties.set(user, { ua, ft, media, aor: lab.aor(user) });
              await ft.start();
            })(),
          );
        }
    await Promise.all(made);
  });
  after(async () => {
    for (const p of parties.values()) {
      await p.ft.stop().catch(() => {});
      await p.media.close();
      await p.ua.stop().catch(() => {});
    }
    tmp.cleanup();
    if (lab) {
      await lab.stop();
      await removeLabState(lab);
    }
  });

  async function push(from: Party, to: Party, what: string): Promise<void> {
    const { dir } = tempDir('parley-dl-', tmp.dir);
    const offered = nextEvent<IncomingFileOffer>(to.ft, 'offer', () => true, WAIT_MS).catch(() => {
      throw new Error(`${what}: no offer arrived`);
    });
    const t = await from.ft.sendFile(to.aor, file.path, { name: 'matrix.dat' });
    const rx = (await offered).accept({ dir });
    const stages = ['offer accepted'];
    t.once('accepted', () => stages.push('sender MSRP up'));
    t.once('progress', () => stages.push('first Success-Report range'));
    rx.once('manifest', () => stages.push('manifest received'));
    rx.once('done', () => stages.push('receiver done'));
    const stage = () => stages.join(', ');
    const [out, got] = await Promise.all([
      bounded(t.result, `${what}: sender outcome`, stage),
      bounded(rx.result, `${what}: receiver`, stage),
    ]);
    assert.equal(out.status, 'delivered', `${what}: ${JSON.stringify(out)}`);
    assert.equal(got.sha256, file.sha, `${what}: SHA-256 at the receiver`);
    assert.equal(await sha256File(got.path), file.sha, `${what}: file on disk`);
  }

  for (const secure of [false, true])
    for (const callerRelayed of [false, true])
      for (const calleeRelayed of [false, true]) {
        const caller: Kind = { relayed: callerRelayed, secure };
        const callee: Kind = { relayed: calleeRelayed, secure };
        const name = `${label(caller)} <-> ${label(callee)} over ${secure ? 'msrps' : 'msrp'}`;
        it(`${name}: a file each way arrives whole, both 'delivered'`, async () => {
          const a = parties.get(USERS.caller[slot(caller)])!;
          const b = parties.get(USERS.callee[slot(callee)])!;
          await push(a, b, `${name}, ${label(caller)} sends`);
          await push(b, a, `${name}, ${label(callee)} sends`);
        });
      }
});
