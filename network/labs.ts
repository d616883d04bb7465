// Two IMS networks on one machine (docs/lab.md "Two networks"): parley.test on 127.0.0.1 and example.test on 127.0.0.2,
// each its own Kamailio (registrar, msilo, MSRP relay), routing the other's domain to the other's proxy over TLS.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCerts } from './certs';
import { DEFAULT_PORTS, startLab, type Lab, type LabAccount, type LabOptions, type LabPorts } from './lab';
import type { LabPeer } from './peering';
import { fillPorts } from './ports';

export const PEER_DOMAIN = 'example.test';
export const PEER_HOST = '127.0.0.2';
export const PEER_ACCOUNTS: readonly LabAccount[] = ['dave', 'erin'].map((u) => ({ user: u, password: `${u}-secret` }));

/** One network of the pair: LabOptions without what the pair decides (the peer and the shared CA). */
export type NetworkOptions = Omit<LabOptions, 'peer' | 'ca'>;

export interface LabsOptions {
  /** parley.test on 127.0.0.1 (LabOptions defaults). */
  home?: NetworkOptions;
  /** example.test on 127.0.0.2 with dave and erin by default. */
  peer?: NetworkOptions;
}

export interface LabPair {
  home: Lab;
  peer: Lab;
  /** Stop both (the peer first); temporary state dirs are removed. */
  stop(): Promise<void>;
}

const PORT_KEYS = Object.keys(DEFAULT_PORTS) as Array<keyof LabPorts>;
const START_ATTEMPTS = 3;

const peerOf = (lab: { domain: string; host: string; ports: LabPorts }): LabPeer => ({
  domain: lab.domain,
  host: lab.host,
  tls: lab.ports.tls,
  msrp: lab.ports.msrp,
  msrps: lab.ports.msrps,
});

/**
 * Start both networks (in parallel) on free ports, or the given ones, each told the other's domain, address and ports.
 * The home network's CA issues both certificates, so each proxy verifies the other's client certificate.
 */
export async function startLabs(o: LabsOptions = {}): Promise<LabPair> {
  const home = { ...o.home, domain: o.home?.domain ?? 'parley.test', host: o.home?.host ?? '127.0.0.1' };
  const peer = {
    ...o.peer,
    domain: o.peer?.domain ?? PEER_DOMAIN,
    host: o.peer?.host ?? PEER_HOST,
    accounts: o.peer?.accounts ?? [...PEER_ACCOUNTS],
  };
  if (home.host === peer.host) throw new RangeError(`the two networks need distinct addresses (both ${home.host})`);
  if (home.domain === peer.domain) throw new RangeError(`the two networks need distinct domains (both ${home.domain})`);
  const homeDir = home.stateDir ?? (await mkdtemp(join(tmpdir(), 'parley-lab-')));
  const peerDir = peer.stateDir ?? (await mkdtemp(join(tmpdir(), 'parley-lab-peer-')));
  const owned = [home.stateDir ? undefined : homeDir, peer.stateDir ? undefined : peerDir].filter((d): d is string => !!d);
  const cleanup = () => Promise.all(owned.map((d) => rm(d, { recursive: true, force: true })));
  for (let attempt = 1; ; attempt++) {
    // Each side's ports must be known to the other before either starts: pick them here, retry both on a clash.
    const homePorts = await fillPorts(PORT_KEYS, home.ports ?? {}, home.host);
    const peerPorts = await fillPorts(PORT_KEYS, peer.ports ?? {}, peer.host);
    const ca = await ensureCerts(homeDir, home.domain, { ip: home.host });
    const started = await Promise.allSettled([
      startLab({ ...home, stateDir: homeDir, ports: homePorts, peer: peerOf({ ...peer, ports: peerPorts }) }),
      startLab({
        ...peer,
        stateDir: peerDir,
        ports: peerPorts,
        peer: peerOf({ ...home, ports: homePorts }),
        ca: { caFile: ca.caFile, caKey: ca.caKey },
      }),
    ]);
    const [homeLab, peerLab] = started.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    try {
      const failed = started.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      const [h, p] = [homeLab!, peerLab!];
      return {
        home: h,
        peer: p,
        async stop() {
          await p.stop();
          await h.stop();
          await cleanup();
        },
      };
    } catch (e) {
      await peerLab?.stop();
      await homeLab?.stop();
      const auto = !home.ports || !peer.ports;
      if (auto && attempt < START_ATTEMPTS && /Address already in use/i.test((e as Error).message)) continue;
      await cleanup();
      throw e;
    }
  }
}
