// Connection and TLS facts of a SIP transport (RFC 3261 s.26.2: TLS hop security), exposed for the security status.
import type { TLSSocket, PeerCertificate } from 'node:tls';
import { ParleyError } from '../../base/errors';

export type SipTransportName = 'TCP' | 'TLS' | 'WS' | 'WSS';

export interface TlsInfo {
  protocol: string | null;
  cipher: string;
  peerSubject: string | null;
  peerIssuer: string | null;
  /** SHA-256 fingerprint of the peer certificate, colon-separated hex. */
  fingerprint256: string | null;
  validFrom: string | null;
  validTo: string | null;
  /** Whether the chain and the host name were validated against the configured CA. */
  authorized: boolean;
  authorizationError: string | null;
}

export interface ConnectionInfo {
  transport: SipTransportName;
  url: string;
  localAddress: string | null;
  localPort: number | null;
  remoteAddress: string | null;
  remotePort: number | null;
  tls: TlsInfo | null;
  connectedAt: number;
}

/** The minimal shape JsSIP's Transport requires from a socket (jssip lib/Socket.js), plus what Parley adds. */
export interface ParleySipSocket {
  readonly via_transport: string;
  readonly url: string;
  readonly sip_uri: string;
  connect(): void;
  disconnect(): void;
  send(message: string): boolean;
  isConnected(): boolean;
  isConnecting(): boolean;
  onconnect: () => void;
  ondisconnect: (error: boolean, code?: number, reason?: string) => void;
  ondata: (data: string) => void;
  /** Facts about the current connection, null while not connected. */
  readonly connectionInfo: ConnectionInfo | null;
  /** The error that ended (or prevented) the last connection, if any. */
  readonly lastError: ParleyError | null;
  /** Raw bytes of the message most recently handed to `ondata` (stream transports only; null for WS). */
  readonly lastMessage: { bytes: Uint8Array; bodyOffset: number } | null;
}

function dn(x: PeerCertificate['subject'] | undefined): string | null {
  if (!x) return null;
  return Object.entries(x)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

export function tlsInfoOf(sock: TLSSocket): TlsInfo {
  const cert = sock.getPeerCertificate();
  const has = cert && Object.keys(cert).length > 0;
  const err = sock.authorizationError as unknown;
  return {
    protocol: sock.getProtocol(),
    cipher: sock.getCipher()?.name ?? '',
    peerSubject: has ? dn(cert.subject) : null,
    peerIssuer: has ? dn(cert.issuer) : null,
    fingerprint256: has ? cert.fingerprint256 : null,
    validFrom: has ? cert.valid_from : null,
    validTo: has ? cert.valid_to : null,
    authorized: sock.authorized,
    authorizationError: err ? String(err instanceof Error ? err.message : err) : null,
  };
}

/** OpenSSL / Node error codes that mean "the certificate or handshake was refused", not "the network failed". */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/** Classifies a socket error into SIP_TLS_ERROR (certificate/handshake, with the OpenSSL reason) or SIP_CONNECT_FAILED. */
export function classifySocketError(e: unknown, tls: boolean, url: string): ParleyError {
  if (e instanceof ParleyError) return e;
  const err = e as NodeJS.ErrnoException & { reason?: string };
  const code = err?.code ?? 'UNKNOWN';
  const msg = err?.message ?? String(e);
  if (tls && !NETWORK_CODES.has(code)) {
    return new ParleyError(
      'SIP_TLS_ERROR',
      `TLS connection to ${url} refused: ${msg}`,
      { opensslCode: code, reason: err?.reason ?? msg },
      { cause: e },
    );
  }
  return new ParleyError('SIP_CONNECT_FAILED', `connection to ${url} failed: ${msg}`, { errno: code }, { cause: e });
}
