// The shape of the security slice (types only, so renderer/slices/shared.ts can compose AppState without importing
// the slice's code: no import circle).
import type { SecurityView } from '../../../app/ipc/contract';

export interface SafetyNumber {
  digits: string;
  qrDataUri: string;
}

export interface SecuritySlice {
  security: {
    byConv: Record<string, SecurityView>;
    panelFor: string | null;
    safety: Record<string, SafetyNumber>;
    verifyResult: Record<string, boolean | undefined>;
  };
  loadSecurity(conversationId: string): Promise<void>;
  openSecurityPanel(conversationId: string): Promise<void>;
  closeSecurityPanel(): void;
  verifyPeer(conversationId: string, digits: string): Promise<void>;
  acceptKeyChange(conversationId: string): Promise<void>;
  /** Sets (null: removes) the conversation's pre-shared passphrase; main derives and keeps the key. Resolves true on success. */
  setPsk(conversationId: string, passphrase: string | null): Promise<boolean>;
  setSecurity(v: SecurityView): void;
}
