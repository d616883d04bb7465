// `parley chat` (runChat with a scripted stdin) and the `parley listen` session helper against Parley peers in the lab.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, removeLabState, type Lab } from '../../../../network/lab';
import { runChat } from '../commands/chat';
import { SipUserAgent } from '../../../net/sip/ua';
import { accountFor } from '../../../net/sip/testing';
import { acceptSessionsForListen } from './chat';
import { accountMedia } from '../../../media/account-media';
import { PartyPool, nextEvent, type Party } from '../../../features/session/testing';
import type { ChatSession } from '../../../features/session/chat-session';
import type { ChatMessage, ClosedEvent } from '../../../features/session/types';
import type { IncomingChatSession } from '../../../features/session/manager';

/** Each CLI run gets its own profile (identity, pins): never the user's ~/.config/parley-cli. */
const freshProfile = (): string[] => ['--profile', mkdtempSync(join(tmpdir(), 'parley-chat-'))];

/** An async line source the test feeds and ends. */
class Lines implements AsyncIterable<string> {
  private queue: string[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  push(l: string): void {
    this.queue.push(l);
    this.wake?.();
  }
  end(): void {
    this.ended = true;
    this.wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (;;) {
      if (this.queue.length) yield this.queue.shift()!;
      else if (this.ended) return;
      else await new Promise<void>((r) => (this.wake = r));
    }
  }
}

function waitLine(lines: string[], pred: (l: string) => boolean, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      const hit = lines.find(pred);
      if (hit) return resolve(hit);
      if (Date.now() > deadline) return reject(new Error(`no matching line in ${JSON.stringify(lines)}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe('CLI: parley chat and listen sessions', () => {
  let lab: Lab;
  const pool = new PartyPool();
  let bob: Party;
  before(async () => {
    lab = await startLab();
    bob = await pool.create(lab, 'bob');
  });
  after(async () => {
    await pool.stopAll();
    if (lab) {
      await lab.stop();
      await removeLabState(lab);
    }
  });

  it('chat --json: stdin lines go out, the reply is printed, stdin end sends BYE (exit 0)', async () => {
    const out: string[] = [];
    const input = new Lines();
    const bobSession = nextEvent<IncomingChatSession>(bob.mgr, 'incoming').then((i) => i.accept());
    const args = [
      'bob',
      '--json',
      '--uri',
      lab.aor('alice'),
      '--password',
      'alice-secret',
      '--proxy',
      lab.proxy.tcp,
      '--ca',
      lab.caFile,
      ...freshProfile(),
    ];
    const running = runChat(args, { out: (l) => out.push(l), err: () => {} }, undefined, input);
    const b: ChatSession = await bobSession;
    const got = nextEvent<ChatMessage>(b, 'message');
    input.push('hello from the CLI');
    assert.equal((await got).text, 'hello from the CLI');
    const established = JSON.parse(await waitLine(out, (l) => l.includes('"established"')));
    assert.equal(established.protected, true);
    await waitLine(out, (l) => l.includes('"event":"sent"') && l.includes('"delivered"'));
    await b.send('hello CLI');
    const msg = JSON.parse(await waitLine(out, (l) => l.includes('"event":"message"')));
    assert.deepEqual([msg.text, msg.mode, msg.protected, msg.from], ['hello CLI', 'session', true, lab.aor('bob')]);
    const closed = nextEvent<ClosedEvent>(b, 'closed');
    input.end();
    assert.equal((await closed).reason, 'bye-remote');
    assert.equal(await running, 0);
  });

  it('chat exits 0 when the peer hangs up; a declined session exits 4', async () => {
    // the CLI has no key store: each run is a new identity, so a peer that pinned the previous run refuses it
    await pool.stop(bob);
    bob = await pool.create(lab, 'bob');
    const out: string[] = [];
    const input = new Lines();
    const bobSession = nextEvent<IncomingChatSession>(bob.mgr, 'incoming').then((i) => i.accept());
    const args = [
      'sip:bob@parley.test',
      '--uri',
      lab.aor('alice'),
      '--password',
      'alice-secret',
      '--proxy',
      lab.proxy.tcp,
      '--ca',
      lab.caFile,
      ...freshProfile(),
    ];
    const running = runChat(args, { out: (l) => out.push(l), err: () => {} }, undefined, input);
    const b = await bobSession;
    b.close();
    assert.equal(await running, 0);
    assert.ok(
      out.some((l) => l.includes('session closed (bye-remote)')),
      out.join('\n'),
    );
    await pool.stop(bob);
    bob = await pool.create(lab, 'bob');
    const declined = nextEvent<IncomingChatSession>(bob.mgr, 'incoming').then((i) => i.decline());
    await assert.rejects(
      runChat(args, { out: () => {}, err: () => {} }, undefined, new Lines()),
      (e: { exitCode?: number; message: string }) => e.exitCode === 4 && /SESSION_DECLINED/.test(e.message),
    );
    await declined;
  });

  it('listen helper: accepts incoming sessions and prints their messages with mode "session"', async () => {
    const ua = new SipUserAgent(accountFor(lab, 'carol', 'tcp'));
    ua.on('error', () => {});
    await ua.start();
    const out: string[] = [];
    const media = accountMedia(ua);
    const mgr = await acceptSessionsForListen(media, (l) => out.push(l), true);
    try {
      const s = await bob.mgr.open(lab.aor('carol'));
      assert.equal((await s.send('to the listener')).status, 'delivered');
      const line = JSON.parse(await waitLine(out, (l) => l.includes('"event":"message"')));
      assert.deepEqual([line.text, line.mode, line.from], ['to the listener', 'session', lab.aor('bob')]);
      s.close();
      await waitLine(out, (l) => l.includes('"closed"'));
    } finally {
      await mgr.stop();
      await media.close();
      await ua.stop();
    }
  });
});
