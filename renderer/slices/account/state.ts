// The shape of the account slice (types only, so renderer/slices/shared.ts can compose AppState without importing
// the slice's code: no import circle).
import type { AccountView, ConnectionView } from '../../../app/ipc/contract';
import type { TransportStatus } from '../../ipc/client';
import type { AccountForm, FieldErrors } from './form';

export interface AccountSlice {
  account: {
    view: AccountView | null;
    loaded: boolean;
    busy: boolean;
    error: string | null;
    fieldErrors: FieldErrors;
    /** The backend offers account.useLocalLab (account.capabilities; never in a packaged desktop build). */
    localLab: boolean;
  };
  connection: ConnectionView;
  link: { status: TransportStatus; reason?: string };
  loadAccount(): Promise<void>;
  configure(form: AccountForm): Promise<boolean>;
  signInLocalLab(): Promise<void>;
  signOut(): Promise<void>;
  setAccount(view: AccountView | null): void;
  setConnection(c: ConnectionView): void;
  setLink(status: TransportStatus, reason?: string): void;
}
