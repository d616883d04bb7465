// Account set-up: SIP URI, password, outbound proxy, CA path, display name; or "Use local lab" where the backend has one.
import { useId, useState, type FormEvent } from 'react';
import { useApp } from '../hooks';
import { selectAccountState } from '../slices/account/selectors';
import { EMPTY_FORM, type AccountField, type AccountForm } from '../slices/account/form';

const FIELDS: { name: AccountField; label: string; type: string; placeholder: string; hint?: string; autoComplete: string }[] = [
  { name: 'aor', label: 'SIP address', type: 'text', placeholder: 'sip:alice@example.com', autoComplete: 'username' },
  { name: 'password', label: 'Password', type: 'password', placeholder: '', autoComplete: 'current-password' },
  { name: 'proxy', label: 'Outbound proxy', type: 'text', placeholder: 'tls://proxy.example.com:5061', autoComplete: 'off' },
  {
    name: 'caFile',
    label: 'CA certificate file (optional)',
    type: 'text',
    placeholder: '/path/to/ca.pem',
    autoComplete: 'off',
    hint: "PEM file used to verify the proxy's TLS certificate.",
  },
  { name: 'displayName', label: 'Display name (optional)', type: 'text', placeholder: 'Alice', autoComplete: 'name' },
];

export function AccountSetup() {
  const st = useApp(selectAccountState);
  const configure = useApp((s) => s.configure);
  const signInLocalLab = useApp((s) => s.signInLocalLab);
  const [form, setForm] = useState<AccountForm>(EMPTY_FORM);
  const base = useId();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void configure(form);
  };

  return (
    <main className="setup" aria-labelledby={`${base}-title`}>
      <h1 id={`${base}-title`}>Set up your account</h1>
      <p className="muted">Parley signs in to your SIP/IMS network. Your password stays on this device.</p>
      <form onSubmit={submit} noValidate aria-describedby={st.error ? `${base}-error` : undefined}>
        {FIELDS.map((f) => {
          const err = st.fieldErrors[f.name];
          const id = `${base}-${f.name}`;
          return (
            <div className="field" key={f.name}>
              <label htmlFor={id}>{f.label}</label>
              <input
                id={id}
                name={f.name}
                type={f.type}
                value={form[f.name]}
                placeholder={f.placeholder}
                autoComplete={f.autoComplete}
                spellCheck={false}
                aria-invalid={err ? true : undefined}
                aria-describedby={err ? `${id}-err` : f.hint ? `${id}-hint` : undefined}
                onChange={(e) => setForm({ ...form, [f.name]: e.target.value })}
              />
              {err ? (
                <p className="field-error" id={`${id}-err`} role="alert">
                  {err}
                </p>
              ) : f.hint ? (
                <p className="hint" id={`${id}-hint`}>
                  {f.hint}
                </p>
              ) : null}
            </div>
          );
        })}
        {st.error ? (
          <p className="form-error" id={`${base}-error`} role="alert">
            {st.error}
          </p>
        ) : null}
        <div className="row">
          <button type="submit" className="primary" disabled={st.busy}>
            {st.busy ? 'Signing in…' : 'Sign in'}
          </button>
          {st.localLab ? (
            <button type="button" onClick={() => void signInLocalLab()} disabled={st.busy}>
              Use local lab
            </button>
          ) : null}
        </div>
      </form>
    </main>
  );
}
