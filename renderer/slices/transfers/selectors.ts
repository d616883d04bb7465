import type { TransferView } from '../../../app/ipc/contract';
import type { AppState } from '../shared';

const NONE: Record<string, TransferView> = {};
export const selectTransfers = (id: string | null) => (s: AppState) => (id && s.transfers.byConv[id]) || NONE;
export const selectRevealed = (s: AppState) => s.transfers.revealed;
export const selectFileSendError = (id: string) => (s: AppState) => s.transfers.sendError[id];

/** Plain-language state of a transfer (also its accessible description). */
export function transferStateText(v: TransferView): string {
  switch (v.state) {
    case 'offering':
      return 'Waiting for the contact to accept';
    case 'offered':
      return 'Offered to you';
    case 'transferring':
      return v.direction === 'out' ? 'Sending' : 'Receiving';
    case 'done':
      return v.direction === 'out' ? 'Sent' : 'Received';
    case 'declined':
      return v.direction === 'out' ? 'Declined by the contact' : 'Declined';
    case 'cancelled':
      return v.failure?.code === 'FILE_CANCELLED_BY_PEER' ? 'Cancelled by the contact' : 'Cancelled';
    case 'interrupted':
      return 'Interrupted';
    case 'failed':
      return 'Failed';
  }
}

export function formatRate(bytesPerSecond: number): string {
  if (bytesPerSecond < 1024) return `${bytesPerSecond} B/s`;
  if (bytesPerSecond < 1024 * 1024) return `${(bytesPerSecond / 1024).toFixed(0)} KiB/s`;
  return `${(bytesPerSecond / (1024 * 1024)).toFixed(1)} MiB/s`;
}

export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  if (seconds < 60) return `${seconds} s left`;
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s left`;
}
