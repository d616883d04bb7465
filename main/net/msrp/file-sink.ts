// Disk sink for incoming MSRP messages (RFC 4975 s.7.3.1 reassembly target for large transfers such as RFC 5547 files).
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { type ParleyError } from '../../base/errors';
import type { MessageSink } from '../../protocol/msrp/reassembly';

/**
 * Writes chunks at their Byte-Range offsets with positioned synchronous writes: memory stays flat whatever the message
 * size, and a slow disk slows the socket reader instead of growing a queue. On abort the partial file is removed.
 */
export class FileSink implements MessageSink {
  private fd: number | undefined;
  bytesWritten = 0;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w', 0o600);
  }
  write(offset: number, data: Buffer): void {
    if (this.fd === undefined) return;
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, offset + done);
    this.bytesWritten += data.length;
  }
  end(): void {
    this.close();
  }
  abort(_reason: ParleyError): void {
    this.close();
    rmSync(this.path, { force: true });
  }
  private close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
