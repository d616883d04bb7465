// Account set-up form: field-level validation with the contract's own request schema (no I/O).
import { invokeChannels, type Req } from '../../../app/ipc/contract';
import { check } from '../../../app/ipc/schema';

export interface AccountForm {
  aor: string;
  password: string;
  proxy: string;
  caFile: string;
  displayName: string;
}
export type AccountField = keyof AccountForm;
export type FieldErrors = Partial<Record<AccountField, string>>;

export const EMPTY_FORM: AccountForm = { aor: '', password: '', proxy: '', caFile: '', displayName: '' };

const FRIENDLY: Record<AccountField, string> = {
  aor: 'Enter a SIP address like sip:alice@example.com',
  password: 'Enter the password (up to 256 characters)',
  proxy: 'Enter the outbound proxy like tls://proxy.example.com:5061 or sip:proxy.example.com;transport=tls',
  caFile: 'Enter an absolute path to a PEM file, or leave it empty',
  displayName: 'Display name: up to 128 characters, no control characters',
};

/** Trims, drops empty optional fields and validates; returns the request or per-field messages. */
export function validateAccountForm(
  form: AccountForm,
): { ok: true; request: Req<'account.configure'> } | { ok: false; errors: FieldErrors } {
  const candidate: Record<string, string> = {
    aor: form.aor.trim(),
    password: form.password,
    proxy: form.proxy.trim(),
  };
  if (form.caFile.trim()) candidate.caFile = form.caFile.trim();
  if (form.displayName.trim()) candidate.displayName = form.displayName.trim();
  const r = check(invokeChannels['account.configure'].request, candidate);
  if (r.ok) return { ok: true, request: r.value };
  const errors: FieldErrors = {};
  for (const issue of r.issues) {
    const field = issue.path.split('/')[1] as AccountField | undefined;
    if (field && field in FRIENDLY)
      errors[field] = issue.message === 'required' || issue.message === 'must not be empty' ? requiredText(field) : FRIENDLY[field];
  }
  return { ok: false, errors };
}

function requiredText(f: AccountField): string {
  return {
    aor: 'SIP address is required',
    password: 'Password is required',
    proxy: 'Outbound proxy is required',
    caFile: '',
    displayName: '',
  }[f];
}
