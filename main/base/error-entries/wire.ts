// Error codes of the wire protocols: SDP and MSRP (main/protocol/sdp, main/protocol/msrp), SIP stream framing and MESSAGE
// bodies (main/protocol/sip), and the sockets under them (main/net/sip, main/net/msrp). Every MSRP code exits 4 in the CLI
// (an MSRP failure) except the timeouts (5) and a relay refusing AUTH (3).
import { group, USER as U } from './define';

export const SDP_ERRORS = group('protocol', {
  SDP_BAD_ENCODING: ['An SDP body is not valid UTF-8.', U.negotiation],
  SDP_BAD_INPUT: ['An SDP offer or answer was to be built from invalid fields (port, transport, path, types).', U.internal],
  SDP_BAD_MEDIA_LINE: ['An SDP m= line is malformed.', U.negotiation],
  SDP_MALFORMED: ['An SDP body is not a sequence of valid <type>=<value> lines starting with v=.', U.negotiation],
  SDP_MSRP_BAD_ATTRIBUTE: ['An MSRP media attribute (accept-types, max-size, setup, connection...) has an invalid value.', U.negotiation],
  SDP_MSRP_BAD_PATH: ['The MSRP media has no a=path, several, or an invalid MSRP URI in it.', U.negotiation],
  SDP_MSRP_BAD_TRANSPORT: ['The MSRP transport asked for is not MSRP, or msrp/msrps is not enabled here.', U.negotiation],
  SDP_MSRP_MISSING_ACCEPT_TYPES: ['The MSRP media has no a=accept-types.', U.negotiation],
  SDP_NOT_ACCEPTABLE: ['An SDP offer cannot be answered: no common transport, content type or setup role.', U.negotiation],
  SDP_NO_MSRP_MEDIA: ['An SDP body has no active m=message line with an MSRP transport.', U.negotiation],
  SDP_TOO_LARGE: ['An SDP body exceeds the size limit.', U.negotiation],
  SDP_TOO_MANY_LINES: ['An SDP body has more lines than the limit.', U.negotiation],
});

export const MSRP_ERRORS = group('protocol', {
  MSRP_BAD_BYTE_RANGE: ['An MSRP Byte-Range is invalid, or goes beyond or changes the total of its message.', U.sessionData, 'SIP_FAILURE'],
  MSRP_BAD_CHUNK_SIZE: ['The MSRP chunker was given a chunk size below 1.', U.internal, 'SIP_FAILURE'],
  MSRP_BAD_END_LINE: ['An MSRP end-line does not close its transaction.', U.sessionData, 'SIP_FAILURE'],
  MSRP_BAD_HEADER: ['An MSRP header line (Status, report headers, any header) is malformed.', U.sessionData, 'SIP_FAILURE'],
  MSRP_BAD_METHOD: ['An MSRP request to be written has an invalid method name.', U.internal, 'SIP_FAILURE'],
  MSRP_BAD_REQUEST: [
    'An MSRP request lacks a Message-ID, a valid To-Path or From-Path, or another required header.',
    U.sessionData,
    'SIP_FAILURE',
  ],
  MSRP_BAD_START_LINE: ['An MSRP start line is malformed.', U.sessionData, 'SIP_FAILURE'],
  MSRP_BAD_STATUS: ['An MSRP response to be written has an invalid status or a comment with CR/LF.', U.internal, 'SIP_FAILURE'],
  MSRP_BAD_TID: ['An MSRP frame to be written has an invalid transaction id.', U.internal, 'SIP_FAILURE'],
  MSRP_BAD_URI: ['An MSRP URI or path is invalid or empty.', U.sessionData, 'SIP_FAILURE'],
  MSRP_CHUNK_TOO_LARGE: ['An MSRP chunk body exceeds the size limit.', U.sessionData, 'SIP_FAILURE'],
  MSRP_HEADERS_TOO_LARGE: ['An MSRP header block exceeds the size limit.', U.sessionData, 'SIP_FAILURE'],
  MSRP_INTERNAL: ['The MSRP parser failed unexpectedly.', U.internal, 'SIP_FAILURE'],
  MSRP_MESSAGE_ABORTED: ['The sender aborted an MSRP message before its end.', 'The sender stopped sending this.', 'SIP_FAILURE'],
  MSRP_MESSAGE_ENDED: ['Data was written to an outgoing MSRP message after it ended.', U.internal, 'SIP_FAILURE'],
  MSRP_SESSION_BUFFER_FULL: [
    'Incomplete incoming MSRP messages of one session hold as many bytes in memory as the session allows (413).',
    U.tooLarge,
    'SIP_FAILURE',
  ],
  MSRP_MESSAGE_TOO_LARGE: ['An incoming MSRP message exceeds the size limit (413).', U.tooLarge, 'SIP_FAILURE'],
  MSRP_NOT_IMPLEMENTED: ['An MSRP request uses a method this endpoint does not implement (501).', U.sessionData, 'SIP_FAILURE'],
  MSRP_NO_SESSION: ['An MSRP request names a session or peer that is not this one (481).', U.sessionData, 'SIP_FAILURE'],
  MSRP_SESSION_CLOSED: ['The MSRP session was closed or detached while a request was pending.', U.sessionEnded, 'SIP_FAILURE'],
  MSRP_SETUP_CONFLICT: [
    'The a=setup roles of offer and answer conflict, so no side can open the connection.',
    U.negotiation,
    'SIP_FAILURE',
  ],
  MSRP_SIZE_MISMATCH: ['An outgoing MSRP message got more or fewer bytes than it announced.', U.internal, 'SIP_FAILURE'],
  MSRP_STRAY_RESPONSE: ['An MSRP response matches no pending transaction.', U.sessionData, 'SIP_FAILURE'],
  MSRP_TID_IN_BODY: ['An MSRP body contains the end-line of its own transaction (a new id is drawn).', U.internal, 'SIP_FAILURE'],
  MSRP_TOO_FRAGMENTED: ['An incoming MSRP message arrives in too many pieces to reassemble (413).', U.sessionData, 'SIP_FAILURE'],
  MSRP_TOO_MANY_HEADERS: ['An MSRP frame has more headers than the limit.', U.sessionData, 'SIP_FAILURE'],
  MSRP_TOO_MANY_MESSAGES: ['Too many incomplete incoming MSRP messages are open at once (413).', U.sessionData, 'SIP_FAILURE'],
  MSRP_UNSUPPORTED_TYPE: ['An MSRP message has a Content-Type the session did not accept (415).', U.sessionData, 'SIP_FAILURE'],
});

export const MSRP_NET_ERRORS = group('net', {
  MSRP_BAD_AUTH_CHALLENGE: ["The MSRP relay's AUTH challenge is not a usable MD5 Digest challenge.", U.relay, 'SIP_FAILURE'],
  MSRP_BAD_FINGERPRINT: ['An a=fingerprint value is malformed or uses an unsupported hash.', U.negotiation, 'SIP_FAILURE'],
  MSRP_BIND_FAILED: ['The relay refused the SEND that binds a connection to a session.', U.relay, 'SIP_FAILURE'],
  MSRP_CERT_GENERATION: ['openssl could not create the self-signed certificate for msrps.', U.internal, 'SIP_FAILURE'],
  MSRP_CONNECTION_CLOSED: ['An MSRP TCP/TLS connection closed.', 'The chat connection was lost.', 'SIP_FAILURE'],
  MSRP_CONNECT_FAILED: [
    'An MSRP connection to the peer or the relay could not be opened.',
    'Could not connect to the contact.',
    'SIP_FAILURE',
  ],
  MSRP_CONNECT_TIMEOUT: ['No MSRP connection came up in time (either side).', 'The contact did not connect in time.', 'TIMEOUT'],
  MSRP_FINGERPRINT_MISMATCH: [
    "The peer's TLS certificate does not match the a=fingerprint of its SDP.",
    "The contact's connection could not be verified.",
    'SIP_FAILURE',
  ],
  MSRP_NOT_ATTACHED: ['An MSRP session was used before it was put on a connection.', U.internal, 'SIP_FAILURE'],
  MSRP_NOT_LISTENING: ['A passive MSRP session was started before the transport listens.', U.internal, 'SIP_FAILURE'],
  MSRP_RELAY_AUTH_FAILED: [
    'The MSRP relay refused or did not complete AUTH (RFC 4976).',
    'The chat relay refused your account.',
    'REGISTRATION',
  ],
});

export const SIP_WIRE_ERRORS = group('protocol', {
  PAGE_BAD_CONTENT_ENCODING: ['A compressed MESSAGE body is corrupt (400).', U.unreadable],
  PAGE_BAD_TRANSFER_ENCODING: ['A MESSAGE body has a Content-Transfer-Encoding other than base64, or invalid base64.', U.unreadable],
  PAGE_DECODED_TOO_LARGE: ['A compressed MESSAGE body decodes to more than the size limit (413).', U.unreadable],
  PAGE_UNSUPPORTED_CONTENT_ENCODING: ['A MESSAGE body uses a Content-Encoding Parley does not decode (415).', U.unreadable],
  SIP_BAD_CONTENT_LENGTH: ['A SIP Content-Length is invalid, or given twice with different values.', U.unreadable],
  SIP_BODY_TOO_LARGE: ['A SIP message or WebSocket frame exceeds the size limit.', U.unreadable],
  SIP_FRAMING_MALFORMED: ['Bytes between SIP messages on a stream are not CRLF keep-alives.', U.unreadable],
  SIP_HEADER_TOO_LARGE: ['A SIP header block exceeds the size limit.', U.unreadable],
  SIP_MISSING_CONTENT_LENGTH: ['A SIP message on a stream transport has no Content-Length (RFC 3261 s.18.3).', U.unreadable],
});

export const SIP_NET_ERRORS = group('net', {
  SIP_ALREADY_ANSWERED: ['A final response was already sent to this SIP request.', U.internal],
  SIP_AUTH_FAILED: [
    'The registrar refused the credentials (401, 403 or 407).',
    'The server refused your user name or password.',
    'REGISTRATION',
  ],
  SIP_BAD_AOR: ['The account address is not a SIP address of record.', U.badAddress, 'REGISTRATION'],
  SIP_BAD_PROXY_URL: [
    'The outbound proxy is not a ws://, wss://, tcp:// or tls:// URL with host and port.',
    'The server address is not valid.',
    'REGISTRATION',
  ],
  SIP_BAD_TARGET: ['A request could not be sent to the target URI.', U.badAddress],
  SIP_CA_UNREADABLE: ['The CA certificate file for TLS cannot be read.', 'The certificate file cannot be read.', 'REGISTRATION'],
  SIP_CONNECT_FAILED: [
    'The TCP, TLS or WebSocket connection to the proxy failed or was refused.',
    'Could not connect to the server.',
    'REGISTRATION',
  ],
  SIP_CONNECT_TIMEOUT: ['The TCP or TLS connection to the proxy did not come up in time.', 'The server did not answer in time.', 'TIMEOUT'],
  SIP_HANDLER_FAILED: ['A handler for an incoming SIP request threw.', U.internal],
  SIP_INTERNAL_ERROR: ['Processing a received SIP message failed inside the transport.', U.internal],
  SIP_KEEPALIVE_TIMEOUT: ['The proxy did not answer keep-alives, so the connection counts as lost.', U.connectionLost, 'TIMEOUT'],
  SIP_REGISTER_TIMEOUT: ['The account was not registered within the timeout.', 'The server did not answer in time.', 'TIMEOUT'],
  SIP_REGISTRATION_FAILED: [
    'The registrar refused the registration, or the attempt failed.',
    'Could not sign in to the server.',
    'REGISTRATION',
  ],
  SIP_TLS_ERROR: [
    "The proxy's TLS certificate was refused, or the TLS handshake failed.",
    "The server's certificate was not accepted.",
    'REGISTRATION',
  ],
  SIP_WS_PROTOCOL: ['The WebSocket server did not accept the "sip" subprotocol.', 'The server does not accept this kind of connection.'],
});
