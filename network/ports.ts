// Free port discovery for lab listeners on a loopback address (both networks bind the same port numbers in `npm run
// network`; tests let the kernel pick fresh ones per address).
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

function udpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, host, () => s.close(() => resolve(true)));
  });
}

/** n distinct ports currently free on `host` (default 127.0.0.1) for TCP and UDP (the kernel picks them). */
export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const out: number[] = [];
  const holders: Array<ReturnType<typeof createServer>> = [];
  try {
    while (out.length < n) {
      const srv = createServer();
      await new Promise<void>((r, j) => {
        srv.once('error', j);
        srv.listen(0, host, () => r());
      });
      holders.push(srv);
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      if (port > 0 && !out.includes(port) && (await udpFree(port, host))) out.push(port);
    }
  } finally {
    await Promise.all(holders.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
  return out;
}

/** The given ports, with every missing key filled by a fresh free port on `host`. */
export async function fillPorts<K extends string>(
  keys: readonly K[],
  given: Partial<Record<K, number>>,
  host: string,
): Promise<Record<K, number>> {
  const missing = keys.filter((k) => given[k] === undefined);
  const fresh = await freePorts(missing.length, host);
  const ports = { ...given } as Record<K, number>;
  missing.forEach((k, i) => {
    ports[k] = fresh[i];
  });
  return ports;
}
