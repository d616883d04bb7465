// The shape of the update slice (types only, so renderer/slices/shared.ts can compose AppState without importing
// the slice's code: no import circle).
import type { UpdateView } from '../../../app/ipc/contract';

export interface UpdateSlice {
  /** The shell's update state (null until known); `dismissed` hides the banner for this version until it changes. */
  update: { view: UpdateView | null; dismissed: string | null; installing: boolean };
  loadUpdate(): Promise<void>;
  setUpdate(v: UpdateView): void;
  /** Restarts into the downloaded update. */
  installUpdate(): Promise<void>;
  dismissUpdate(): void;
}
