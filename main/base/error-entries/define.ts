// The shape of the error-code registry (main/base/error-codes.ts) and the helpers its per-layer parts are written with.

/** Where a code is raised: a layer of main/, a feature of main/features, the IPC boundary, or the lab's app server. */
export const ERROR_LAYERS = [
  'base',
  'protocol',
  'net',
  'security',
  'store',
  'media',
  'page',
  'session',
  'transfer',
  'conference',
  'ue',
  'hosts',
  'ipc',
  'appserver',
] as const;
export type ErrorLayer = (typeof ERROR_LAYERS)[number];

/** The `parley` exit codes a code can map to, by name (numbers in main/hosts/cli/exit-codes.ts; unmapped codes take the
 *  command's own default). */
export type CliExitName = 'USAGE' | 'REGISTRATION' | 'SIP_FAILURE' | 'TIMEOUT' | 'MISMATCH' | 'UNKNOWN_KEY';

export interface ErrorInfo {
  /** One sentence for developers: what happened. */
  readonly meaning: string;
  readonly layer: ErrorLayer;
  /** What a person sees in the UI: short, plain, no protocol words. Sent over IPC as the error message. */
  readonly userText: string;
  /** The CLI exit code when a command fails with this code. */
  readonly cli?: CliExitName;
}

/** One registry entry as written in the parts: [meaning, user text, CLI exit]. */
export type Entry = readonly [meaning: string, userText: string, cli?: CliExitName];

/** The entries of one layer, keyed by code. */
export function group<K extends string>(layer: ErrorLayer, entries: Record<K, Entry>): Record<K, ErrorInfo> {
  const out = {} as Record<K, ErrorInfo>;
  for (const code of Object.keys(entries) as K[]) {
    const [meaning, userText, cli] = entries[code];
    out[code] = cli ? { meaning, layer, userText, cli } : { meaning, layer, userText };
  }
  return out;
}

/** User texts shared by many codes (one wording per situation). */
export const USER = {
  internal: 'Something went wrong inside Parley.',
  unreadable: 'Parley received something from the network that it could not read.',
  tooLarge: 'This is too large to send.',
  negotiation: "Parley and the contact's app could not agree on how to connect.",
  sessionData: 'The chat session received data it could not use.',
  sessionEnded: 'The chat session has ended.',
  relay: 'The chat relay could not be used.',
  protectedUnreadable: 'A protected message could not be opened.',
  tampered: 'A message failed its security check and was not shown.',
  keyMessage: 'A security key exchange message could not be used.',
  history: 'Your message history could not be read.',
  file: 'The file transfer failed.',
  fileOffer: 'The file offer could not be read.',
  roster: 'The participant list of this room could not be read.',
  roomLost: 'The connection to the room was lost.',
  badAddress: 'That is not a valid SIP address.',
  connectionLost: 'The connection to the server was lost.',
} as const;
