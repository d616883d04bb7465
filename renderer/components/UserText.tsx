// Text other people chose, as drawn (issue 12): names and addresses lose every invisible or reordering character
// (app/ipc/text.ts plainText: `invoice<RLO>fdp.exe` stays "invoicefdp.exe", never "invoiceexe.pdf"), and every piece of
// user text sits in its own <bdi> so right-to-left text cannot reorder what stands around it. A nickname is never shown
// without the address it belongs to.
import { plainText } from '../../app/ipc/text';

/** A name, file name or address: stripped and isolated. */
export function Name({ text, max = 256, className }: { text: string; max?: number; className?: string }) {
  return <bdi className={className}>{plainText(text, max)}</bdi>;
}

/** Message text: kept as written (emoji sequences and all), isolated, its direction taken from its own first letters. */
export function Isolated({ text, className }: { text: string; className?: string }) {
  return (
    <bdi className={className} dir="auto">
      {text}
    </bdi>
  );
}

/** An address without its scheme, as shown beside a name. */
export function shortAddress(aor: string): string {
  return plainText(aor.replace(/^(sips?|tel):/, ''), 160);
}

/** A person: the nickname (if any) and, always, the address beside it. */
export function Person({ nickname, address }: { nickname?: string; address: string }) {
  const nick = nickname ? plainText(nickname, 64) : '';
  if (!nick) return <bdi className="p-aor">{shortAddress(address)}</bdi>;
  return (
    <>
      <bdi className="p-name">{nick}</bdi>{' '}
      <span className="muted p-aor">
        &lt;<bdi>{shortAddress(address)}</bdi>&gt;
      </span>
    </>
  );
}

/** The same as plain text (aria-labels, titles): nickname <address>. */
export function personText(nickname: string | undefined, address: string): string {
  const nick = nickname ? plainText(nickname, 64) : '';
  return nick ? `${nick} <${shortAddress(address)}>` : shortAddress(address);
}
