// The shape of the local IMS lab (network/lab.ts startLab): its options, ports, accounts and the running lab's handle.
import type { LabPeer } from './peering';

export interface LabAccount {
  user: string;
  password: string;
}
export interface LabPorts {
  sip: number /* UDP+TCP */;
  tls: number;
  ws: number;
  wss: number;
  msrp: number /* relay TCP */;
  msrps: number; /* relay TLS */
}
export interface LabOptions {
  stateDir?: string;
  ports?: Partial<LabPorts>;
  domain?: string /* default parley.test */;
  /** Loopback address every listener binds (default 127.0.0.1; the second network uses 127.0.0.2). */
  host?: string;
  /** The other network to route its domain to, over TLS (static route; see network/labs.ts startLabs()). */
  peer?: LabPeer;
  /** Issue our server certificate with this CA (the other network's) instead of creating one in the state dir. */
  ca?: { caFile: string; caKey: string };
  accounts?: LabAccount[] /* default alice/bob/carol with <name>-secret */;
  log?: (line: string) => void;
  /** Conference/list application server on <host>:<port> (TCP) for R-URI users conf-*, chat-*, list*, group-*. */
  appServerPort?: number;
  /** Kamailio debug level (default 2 = info). */
  logLevel?: number;
  /** Readiness timeout (default 15 s). */
  startTimeoutMs?: number;
  /**
   * Kamailio shared memory in MB (`-m`, default 256). Each completed transaction stays in shared memory for tm's
   * wait timer (5 s): a burst of 2,000 transactions holds about 16 MB, so 64 MB ran out after a few back-to-back
   * 1,000-message rounds (no answer or 500). Pages are only touched when used.
   */
  shmMb?: number;
}
export interface Lab {
  domain: string;
  /** The loopback address of this network's proxy and relay (clients still connect from 127.0.0.1). */
  host: string;
  ports: LabPorts;
  stateDir: string;
  caFile: string;
  /** This network's server certificate and key (the proxy also presents them as TLS client certificate to its peer). */
  certFile: string;
  keyFile: string;
  /** The network this one routes to (two-network lab), if any. */
  peer?: LabPeer;
  accounts: LabAccount[];
  proxy: { udp: string; tcp: string; tls: string; ws: string; wss: string };
  relay: { tcp: string; tls: string };
  /** unix:<path> of Kamailio's binrpc ctl socket (for kamcmd -s). */
  ctlSocket: string;
  appServerPort?: number;
  aor(user: string): string;
  addAccount(user: string, password: string): Promise<void>;
  /** AoRs currently registered (usrloc), e.g. ['alice@parley.test']. */
  registrations(): Promise<string[]>;
  /** Run a Kamailio RPC command through kamcmd and return its text output. */
  rpc(...args: string[]): Promise<string>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}
