// Success-Report / Failure-Report semantics and REPORT construction (RFC 4975 s.7.1.2, s.7.1.3, s.7.1.4, s.7.2, s.7.3.2).
import type { ByteRange, FailureReportMode, Header } from './message';
import { formatByteRange, formatStatusHeader, newTransactionId } from './message';
import type { RequestSpec, PathLike } from './serializer';
import { RangeSet } from './reassembly';

/** Receiver: may a transaction response with this status be sent for a SEND carrying this Failure-Report value? */
export function responseAllowed(mode: FailureReportMode, status: number): boolean {
  if (mode === 'no') return false; // s.7.1.2: no responses at all
  if (mode === 'partial') return status !== 200; // only negative responses
  return true;
}

/** Sender: should a transaction timer run / a 200 be expected? Only with Failure-Report: yes (s.7.1.1, s.7.1.2). */
export function expectsResponse(mode: FailureReportMode): boolean {
  return mode === 'yes';
}

/** Receiver: send a failure REPORT (when an error is found after the response was sent or suppressed)? s.7.1.4 */
export function failureReportAllowed(mode: FailureReportMode): boolean {
  return mode !== 'no';
}

export interface ReportArgs {
  toPath: PathLike; // the From-Path of the SEND that is reported on
  fromPath: PathLike; // our URI
  messageId: string;
  byteRange: ByteRange;
  status: number;
  comment?: string;
  tid?: string;
}

/** A REPORT request (never answered with a response, s.7.1.2). */
export function buildReport(a: ReportArgs): RequestSpec {
  const headers: Header[] = [
    ['Message-ID', a.messageId],
    ['Byte-Range', formatByteRange(a.byteRange)],
    ['Status', formatStatusHeader(a.status, a.comment)],
  ];
  return { tid: a.tid ?? newTransactionId(), method: 'REPORT', toPath: a.toPath, fromPath: a.fromPath, headers };
}

/** Success REPORT covering the whole received message: Status 000 200 OK, Byte-Range 1-N/N (s.7.1.3). */
export function buildSuccessReport(a: Omit<ReportArgs, 'byteRange' | 'status'> & { totalBytes: number }): RequestSpec {
  return buildReport({ ...a, status: 200, byteRange: { start: 1, end: a.totalBytes, total: a.totalBytes } });
}

/** Sender-side progress tracking from Success-Report Byte-Ranges (reports may cover parts, in any order). */
export class ReportProgress {
  private ranges = new RangeSet();
  constructor(readonly totalBytes?: number) {}
  /** Returns bytes confirmed so far (contiguous from the start). */
  add(r: ByteRange): number {
    const end = r.end === '*' ? (typeof r.total === 'number' ? r.total : r.start - 1) : r.end;
    this.ranges.add(r.start - 1, end);
    return this.ranges.prefix;
  }
  get confirmed(): number {
    return this.ranges.prefix;
  }
  get complete(): boolean {
    return this.totalBytes !== undefined && this.ranges.prefix >= this.totalBytes;
  }
}
