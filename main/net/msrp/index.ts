// Public surface of the MSRP network adapters: the socket transport (RFC 4975 s.6, RFC 4572), the RFC 4976 relay client,
// certificate helpers and the file sink (docs/msrp.md).
export { FileSink } from './file-sink';
export { certFingerprint, fingerprintAttribute, fingerprintMatches, parseFingerprint, generateSelfSignedCert } from './tls-cert';
export { MsrpTransport, CONNECT_TIMEOUT_MS, WRITE_BUFFER_HIGH_WATER } from './transport';
export type { MsrpTransportOptions, AttachOptions } from './transport';
export { MsrpRelayClient, RELAY_CHUNK_SIZE, RELAY_DEFAULT_EXPIRES_S, RELAY_REFRESH_FRACTION } from './relay';
export type { RelayClientOptions, RelayGrant } from './relay';
