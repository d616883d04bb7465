// SIP responses as every UAS in the repository builds them: the reason-phrase table (RFC 3261 s.21 and extensions) and the
// header copying rule of s.8.2.6.2, shared by the client (main/net/sip), the app server (network/appserver/sip) and the raw
// test peers (network/testing). Sans-IO: header lists in, header lists and text out.
import { sameHeader, tagParam, type SipHeaderList } from './headers';

/** Reason phrases of RFC 3261 s.21, plus 202 (RFC 3428, RFC 3265), 204 (RFC 5839), 412 (RFC 3903), 417 (RFC 4412), 489 (RFC 6665). */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  204: 'No Notification',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  305: 'Use Proxy',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  412: 'Conditional Request Failed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  417: 'Unknown Resource-Priority',
  420: 'Bad Extension',
  421: 'Extension Required',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  493: 'Undecipherable',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
};

/** s.21 section titles, for a status the table does not know (the phrase is for humans; s.21: only the code counts). */
const CLASS_PHRASES = ['Provisional', 'Successful', 'Redirection', 'Request Failure', 'Server Failure', 'Global Failure'];

/** The reason phrase for a status (the table above, else the phrase of its class). */
export function reasonPhrase(status: number): string {
  checkStatus(status);
  return REASON_PHRASES[status] ?? CLASS_PHRASES[Math.floor(status / 100) - 1]!;
}

function checkStatus(status: number): void {
  if (!Number.isInteger(status) || status < 100 || status > 699) throw new RangeError(`invalid SIP status ${status}`);
}

/** `SIP/2.0 <status> <reason>` (s.7.2), refusing a status outside 100-699 and CR/LF in the reason. */
export function statusLine(status: number, reason = reasonPhrase(status)): string {
  checkStatus(status);
  if (/[\r\n]/.test(reason)) throw new RangeError('CR/LF in a SIP reason phrase');
  return `SIP/2.0 ${status} ${reason}`;
}

/**
 * The headers a response to `request` copies (s.8.2.6.2), in the request's order: every Via, From, Call-ID and CSeq as
 * they are; To with `toTag` added when it has no tag and the status is above 100; Record-Route only in 101-299 responses
 * (s.12.1.1: they may create a dialog). Compact names (v, f, t, i) are matched and kept as sent.
 */
export function responseHeaders(request: SipHeaderList, status: number, toTag?: string): SipHeaderList {
  checkStatus(status);
  const out: SipHeaderList = [];
  for (const [name, value] of request) {
    if (['Via', 'From', 'Call-ID', 'CSeq'].some((h) => sameHeader(name, h))) out.push([name, value]);
    else if (sameHeader(name, 'To'))
      out.push([name, toTag !== undefined && status > 100 && tagParam(value) === undefined ? `${value};tag=${toTag}` : value]);
    else if (sameHeader(name, 'Record-Route') && status > 100 && status < 300) out.push([name, value]);
  }
  return out;
}
