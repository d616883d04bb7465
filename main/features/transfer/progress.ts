// Transfer progress (bytes, rate, ETA) from RFC 4975 s.7.1.2 Success-Report Byte-Ranges (sender) or bytes written (receiver).

/** Progress events are emitted at most this often (and always for the last byte). */
export const PROGRESS_INTERVAL_MS = 200;
/** Rate is measured over about this window. */
export const RATE_WINDOW_MS = 2000;

export interface TransferProgress {
  /** File (plaintext) bytes confirmed / written so far, resumed bytes included. */
  bytes: number;
  total: number;
  /** Bytes per second over the last RATE_WINDOW_MS. */
  rate: number;
  /** Seconds left at the current rate; null while unknown. */
  etaSeconds: number | null;
}

export class ProgressMeter {
  private samples: { t: number; b: number }[] = [];
  private lastEmit = -Infinity;
  private last = -1;

  constructor(
    readonly total: number,
    private readonly now: () => number = () => performance.now(),
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
  ) {}

  /** Record `bytes`; returns a progress value when one is due (throttled, monotonic, always at completion). */
  update(bytes: number): TransferProgress | undefined {
    if (bytes <= this.last) return undefined;
    this.last = bytes;
    const t = this.now();
    this.samples.push({ t, b: bytes });
    while (this.samples.length > 2 && t - this.samples[1].t > RATE_WINDOW_MS) this.samples.shift();
    if (bytes < this.total && t - this.lastEmit < this.intervalMs) return undefined;
    this.lastEmit = t;
    return this.snapshot();
  }

  snapshot(): TransferProgress {
    const first = this.samples[0];
    const lastS = this.samples[this.samples.length - 1];
    const dt = first && lastS ? (lastS.t - first.t) / 1000 : 0;
    const rate = dt > 0 ? (lastS.b - first.b) / dt : 0;
    const bytes = Math.max(0, this.last);
    const left = this.total - bytes;
    return { bytes, total: this.total, rate: Math.round(rate), etaSeconds: left <= 0 ? 0 : rate > 0 ? Math.ceil(left / rate) : null };
  }
}
