// Electron main entry: the hardened shell (app/shell.ts) over the real UE (main/ue/ue.ts). The key store is wrapped
// with OS key storage (safeStorage) when it offers real protection, else PARLEY_PASSPHRASE; never a plain key file
// (the shell refuses to start instead, app/keywrapper.ts desktopKeyProtection). No lab factory: no local lab here.
import { createUe } from '../main/ue/ue';
import { runShell } from './shell';

runShell(({ dataDir, keyWrapper, passphrase, picked, log }) =>
  createUe({ profileDir: dataDir, keyWrapper, passphrase, allowKeyFile: false, pickedFiles: picked, log }),
);
