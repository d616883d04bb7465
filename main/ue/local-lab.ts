// What the UE needs from a local IMS lab for account.useLocalLab (the web host's lab factory, main/hosts/lab.ts, provides
// it; the desktop app provides none, so the channel answers FEATURE_UNAVAILABLE there).
import { ParleyError } from '../base/errors';

/** A running lab: its home domain, CA and TLS proxy, and the demo accounts (network/lab.ts's Lab satisfies it). */
export interface LocalLabInfo {
  domain: string;
  caFile: string;
  proxy: { tls: string };
  accounts: { user: string; password: string }[];
  stop?: () => Promise<void>;
}

export type LabFactory = () => Promise<LocalLabInfo>;

export function labAccount(lab: LocalLabInfo, user: string): { aor: string; password: string; proxy: string; caFile: string } {
  const acc = lab.accounts.find((a) => a.user === user);
  if (!acc)
    throw new ParleyError(
      'LAB_NO_ACCOUNT',
      `the local lab has no account ${user} (accounts: ${lab.accounts.map((a) => a.user).join(', ')})`,
    );
  return { aor: `sip:${user}@${lab.domain}`, password: acc.password, proxy: lab.proxy.tls, caFile: lab.caFile };
}
