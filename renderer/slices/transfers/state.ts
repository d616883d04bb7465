// The shape of the transfers slice (types only, so renderer/slices/shared.ts can compose AppState without importing
// the slice's code: no import circle).
import type { TransferView } from '../../../app/ipc/contract';

export interface TransfersSlice {
  transfers: {
    byConv: Record<string, Record<string, TransferView>>;
    /** Per transfer: the saved path shown after "Show in folder" when the shell could not open a file manager. */
    revealed: Record<string, string>;
    /** Per conversation: the last send-file error (shown beside the form). */
    sendError: Record<string, string | undefined>;
    unavailable: boolean;
  };
  upsertTransfer(v: TransferView): void;
  loadTransfers(conversationId: string): Promise<void>;
  sendFile(conversationId: string, path: string): Promise<boolean>;
  /** Electron: the native dialog (files.pick), then sendFile. False when there is no dialog here (the web host). */
  pickAndSend(conversationId: string): Promise<boolean>;
  transferAction(action: 'accept' | 'decline' | 'cancel' | 'resume', transferId: string): Promise<void>;
  revealTransfer(transferId: string): Promise<void>;
}
