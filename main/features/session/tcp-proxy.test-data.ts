// Test-only TCP proxy between two MSRP endpoints: records the bytes of both directions and can corrupt one E2E body.
import net from 'node:net';
import { once } from 'node:events';

export class CapturingProxy {
  readonly captured: Buffer[] = [];
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  /** When armed, the next client->server frame with this content type gets one body byte flipped. */
  private tamperType: string | undefined;
  tampered = 0;

  constructor(
    private readonly targetPort: number,
    private readonly host = '127.0.0.1',
  ) {}

  async listen(): Promise<number> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      let pending = Buffer.alloc(0);
      client.on('data', (d: Buffer) => {
        this.captured.push(Buffer.from(d));
        if (!this.tamperType) return void upstream.write(d);
        pending = Buffer.concat([pending, d]);
        const out = this.tryTamper(pending);
        if (out) {
          pending = Buffer.alloc(0);
          upstream.write(out);
        }
      });
      upstream.on('data', (d: Buffer) => {
        this.captured.push(Buffer.from(d));
        client.write(d);
      });
    });
    this.server.listen(0, this.host);
    await once(this.server, 'listening');
    return (this.server.address() as net.AddressInfo).port;
  }

  arm(contentType: string): void {
    this.tamperType = contentType;
  }

  /** Returns the bytes to forward once a whole frame of the armed type is buffered (modified), or undefined to wait. */
  private tryTamper(buf: Buffer): Buffer | undefined {
    const ct = buf.indexOf(`Content-Type: ${this.tamperType}`);
    if (ct < 0) {
      // no armed frame starts in here: forward everything up to the last frame boundary we can see
      return buf.lastIndexOf('MSRP ') > 0 ? undefined : buf;
    }
    const bodyStart = buf.indexOf('\r\n\r\n', ct);
    const end = bodyStart < 0 ? -1 : buf.indexOf('\r\n-------', bodyStart + 4);
    if (end < 0) return undefined;
    const out = Buffer.from(buf);
    out[end - 1] ^= 0x01;
    this.tampered++;
    this.tamperType = undefined;
    return out;
  }

  get bytes(): Buffer {
    return Buffer.concat(this.captured);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
  }
}
