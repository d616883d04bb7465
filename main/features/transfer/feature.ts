// The file-transfer feature (docs/file-transfer.md): the files.* channels, answered by the account's UeFiles.
import { defineFeature } from '../feature';
import { UeFiles } from './facade';

export const filesFeature = defineFeature({
  name: 'file transfer',
  start: (ctx) => UeFiles.start(ctx),
  handlers: {
    filesSend: (f, r) => f.send(r),
    filesAccept: (f, r) => f.accept(r),
    filesDecline: (f, r) => f.decline(r),
    filesCancel: (f, r) => f.cancel(r),
    filesResume: (f, r) => f.resume(r),
    filesList: (f, r) => f.list(r),
    filesReveal: (f, r) => f.reveal(r),
  },
  idle: { filesList: async () => [] },
});
