// Connection sharing: one parser per connection, frames dispatched to sessions by To-Path session-id (RFC 4975 s.5.4, s.7.3).
import { type ParleyError } from '../../base/errors';
import { getHeader, type MsrpFrameHead } from './message';
import { MsrpParser, type ParserLimits } from './parser';
import { serializeResponse } from './serializer';
import type { MsrpSession } from './session';
import { parsePath, tryParseMsrpUri } from './uri';

export interface DemuxOptions {
  write: (parts: Buffer[]) => void;
  /** Fatal framing error: the owner must close the connection. */
  onFatal: (error: ParleyError) => void;
  /** A request for a session-id not registered here: return a session to adopt it (passive side binding), else 481. */
  onUnknownSession?: (sessionId: string, head: MsrpFrameHead) => { session: MsrpSession; primary: boolean } | undefined;
  parserLimits?: Partial<ParserLimits>;
}

export class MsrpDemux {
  private readonly parser: MsrpParser;
  private readonly sessions = new Map<string, MsrpSession>();
  private readonly secondary = new Set<MsrpSession>(); // also reachable here, but writing over another connection
  private current: MsrpSession | undefined;
  private dead = false;

  constructor(private readonly opts: DemuxOptions) {
    this.parser = new MsrpParser(opts.parserLimits);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** primary: the session writes over this connection (and closes with it); otherwise it only receives here. */
  add(s: MsrpSession, primary = true): void {
    this.sessions.set(s.sessionId, s);
    if (primary) s.setWriter(this.opts.write);
    else this.secondary.add(s);
  }

  remove(s: MsrpSession): void {
    if (this.sessions.get(s.sessionId) !== s) return;
    this.sessions.delete(s.sessionId);
    if (!this.secondary.delete(s)) s.setWriter(undefined);
  }

  has(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  /** Bytes from the connection. */
  push(chunk: Uint8Array): void {
    if (this.dead) return;
    for (const ev of this.parser.push(chunk)) {
      switch (ev.type) {
        case 'frame':
          this.route(ev.frame)?.receive(ev);
          break;
        case 'frameStart':
          this.current = this.route(ev.head);
          this.current?.receive(ev);
          break;
        case 'bodyPart':
          this.current?.receive(ev);
          break;
        case 'frameEnd':
          this.current?.receive(ev);
          this.current = undefined;
          break;
        case 'error':
          this.dead = true;
          this.opts.onFatal(ev.error);
          return;
      }
    }
  }

  /** Connection closed: every session on it loses its transactions and partial messages. */
  close(reason: ParleyError): void {
    this.dead = true;
    for (const s of this.sessions.values()) if (!this.secondary.has(s)) s.close(reason);
    this.sessions.clear();
    this.secondary.clear();
  }

  private lastToPath: string | undefined;
  private lastSid: string | undefined;

  private route(head: MsrpFrameHead): MsrpSession | undefined {
    const toPath = getHeader(head.headers, 'To-Path') ?? '';
    const first = toPath.trim().split(/\s+/)[0];
    if (toPath !== this.lastToPath) {
      // every chunk of a transfer names the same To-Path: parse it once
      this.lastToPath = toPath;
      this.lastSid = tryParseMsrpUri(first)?.sessionId;
    }
    const sid = this.lastSid;
    let s = sid === undefined ? undefined : this.sessions.get(sid);
    if (!s && sid !== undefined && head.kind === 'request') {
      const adopted = this.opts.onUnknownSession?.(sid, head);
      if (adopted) {
        s = adopted.session;
        this.add(s, adopted.primary);
      }
    }
    if (s) return s;
    if (head.kind === 'request' && head.method !== 'REPORT') {
      try {
        const from = parsePath(getHeader(head.headers, 'From-Path') ?? '');
        const to = tryParseMsrpUri(first);
        const fr = (getHeader(head.headers, 'Failure-Report') ?? 'yes').trim().toLowerCase();
        if (to && fr !== 'no') this.opts.write([serializeResponse({ tid: head.tid, status: 481, toPath: [from[0]], fromPath: [to] })]);
      } catch {
        // no usable From-Path: nobody to answer
      }
    }
    return undefined;
  }
}
