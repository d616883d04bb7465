// A message being sent by a session: chunk writes, end and '#' interruption (RFC 4975 s.7.1.1).
import type { ChunkSender, OutState } from './session-types';

/** A message being sent; write() returns false once the message failed (stop reading the source). */
export class OutgoingMessage {
  constructor(
    private readonly send: ChunkSender,
    private readonly st: OutState,
  ) {}
  get messageId(): string {
    return this.st.messageId;
  }
  get failed(): boolean {
    return this.st.failed;
  }
  /** Bytes already cut into chunks and written (the chunker holds the rest, possibly as views of the caller's buffers). */
  get bytesChunked(): number {
    return this.st.chunker.bytesChunked;
  }
  write(data: Uint8Array): boolean {
    if (this.st.failed) return false;
    this.send(this.st, this.st.chunker.write(data));
    return !this.st.failed;
  }
  end(): void {
    if (this.st.failed) return;
    this.st.ended = true;
    this.send(this.st, this.st.chunker.end());
  }
  /** Interrupt: send the '#' chunk (s.7.1.1) and stop. */
  abort(): void {
    if (this.st.failed) return;
    this.send(this.st, [this.st.chunker.abort()]);
    this.st.failed = true;
  }
}
