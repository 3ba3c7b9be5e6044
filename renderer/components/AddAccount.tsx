import { useState } from 'react'
import type { SetupSettings } from '../../main/mail/accounts/account-setup'
import { call, errorMessage } from '../api'
import {
  describeCertificate,
  emptyForm,
  formatFingerprint,
  guessedSettings,
  toAddInput,
  validate,
  withDiscovered,
  withSecurity,
  type CertificateQuestion,
  type ServerFields,
  type SetupErrors,
  type SetupForm,
} from '../accounts/setup-form'

type Step =
  | { kind: 'address' }
  | { kind: 'settings'; found: SetupSettings | null }
  | { kind: 'certificate'; question: CertificateQuestion }
  | { kind: 'oauth'; signInId: string; url: string }

/**
 * "Add an account": the address and password, the settings looked up from
 * the address (or typed by hand), a certificate nothing vouches for shown
 * with its fingerprint for the user to accept, or "Sign in with …" for a
 * provider that refuses passwords. Nothing is saved until both servers
 * accepted the sign-in.
 */
export function AddAccount({
  onAdded,
  onCancel,
}: {
  onAdded: (accountId: number) => void
  onCancel: () => void
}) {
  const [form, setForm] = useState<SetupForm>(emptyForm)
  const [step, setStep] = useState<Step>({ kind: 'address' })
  const [trust, setTrust] = useState<{ imap?: string; smtp?: string }>({})
  /** An OAuth2 sign-in under way (its tokens wait main-side for the account to be added). */
  const [signInId, setSignInId] = useState<string | null>(null)
  const [errors, setErrors] = useState<SetupErrors>({})
  const [busy, setBusy] = useState<string | null>(null)
  const [failure, setFailure] = useState<string | null>(null)
  /** Servers the lookup found outside the address's domain (only DNS named them), and the user's answer. */
  const [outside, setOutside] = useState<SetupSettings['unconfirmed']>(null)
  const [confirmed, setConfirmed] = useState(false)
  const manual = step.kind === 'settings'
  // Asked while the form still names one of them (the user may have typed others instead).
  const inForm = [form.imap.host, form.smtp.host].map((h) => h.trim().toLowerCase())
  const toConfirm = outside?.hosts.filter((h) => inForm.includes(h)) ?? []
  const mustConfirm = manual && toConfirm.length > 0 && !confirmed

  const add = async (accepted = trust) => {
    const found = validate(form, { manual: true })
    setErrors(found)
    if (Object.keys(found).length > 0) return
    setFailure(null)
    setBusy('Signing in to both servers…')
    try {
      const result = await call('accounts.add', {
        ...toAddInput(form, accepted),
        ...(confirmed && outside ? { confirmedHosts: outside.hosts } : {}),
      })
      if (result.kind === 'added') onAdded(result.accountId)
      else setStep({ kind: 'certificate', question: result })
    } catch (error) {
      setFailure(errorMessage(error))
    } finally {
      setBusy(null)
    }
  }

  const lookUp = async () => {
    const found = validate(form, { manual: false })
    setErrors(found)
    if (Object.keys(found).length > 0) return
    setFailure(null)
    setBusy(`Looking up the settings for ${form.email.trim()}…`)
    try {
      const settings = await call('accounts.discover', { email: form.email.trim() })
      setForm((f) => withDiscovered(f, settings))
      setOutside(settings.unconfirmed)
      setConfirmed(false)
      setStep({ kind: 'settings', found: settings })
    } catch (error) {
      setForm((f) => guessedSettings(f))
      setOutside(null)
      setStep({ kind: 'settings', found: null })
      setFailure(`${errorMessage(error)} Enter the settings yourself.`)
    } finally {
      setBusy(null)
    }
  }

  const signInWithProvider = async () => {
    setFailure(null)
    try {
      const started = await call('accounts.oauth.start', {
        email: form.email.trim(),
        imapHost: form.imap.host.trim(),
      })
      window.open(started.url, '_blank', 'noopener,noreferrer')
      setStep({ kind: 'oauth', ...started })
      setSignInId(started.signInId)
      await finishSignIn(started.signInId, trust)
    } catch (error) {
      setFailure(errorMessage(error))
      setSignInId(null)
      setStep({ kind: 'settings', found: null })
    }
  }

  /** Wait for the browser sign-in; a certificate question keeps it for the answer. */
  const finishSignIn = async (id: string, accepted: typeof trust) => {
    const { email, name, imap, smtp } = toAddInput(form, {})
    const result = await call('accounts.oauth.finish', {
      signInId: id,
      email,
      name,
      imap,
      smtp,
      trust: accepted,
    })
    if (result.kind === 'added') onAdded(result.accountId)
    else setStep({ kind: 'certificate', question: result })
  }

  const cancel = () => {
    if (signInId) void call('accounts.oauth.cancel', { signInId })
    onCancel()
  }

  const field = (key: 'email' | 'name' | 'password', label: string, type = 'text') => (
    <label className="field">
      <span>{label}</span>
      <input
        type={type}
        name={key}
        value={form[key]}
        autoComplete={key === 'password' ? 'current-password' : key === 'email' ? 'email' : 'name'}
        onChange={(event) => setForm({ ...form, [key]: event.target.value })}
        aria-invalid={errors[key as keyof SetupErrors] ? 'true' : undefined}
      />
      {errors[key as keyof SetupErrors] && (
        <span className="field-error">{errors[key as keyof SetupErrors]}</span>
      )}
    </label>
  )

  return (
    <div className="add-account" aria-label="Add an account">
      <h2>Add an account</h2>
      {step.kind === 'certificate' ? (
        <CertificatePrompt
          question={step.question}
          busy={busy}
          onTrust={(fingerprint) => {
            const accepted = { ...trust, [step.question.which]: fingerprint }
            setTrust(accepted)
            setStep({ kind: 'settings', found: null })
            if (signInId)
              finishSignIn(signInId, accepted).catch((error: unknown) => {
                setFailure(errorMessage(error))
                setSignInId(null)
              })
            else void add(accepted)
          }}
          onBack={() => setStep({ kind: 'settings', found: null })}
        />
      ) : step.kind === 'oauth' ? (
        <div className="state" role="status">
          <div className="spinner" aria-hidden="true" />
          <p>Finish signing in in your browser.</p>
          <p className="muted">
            If no window opened,{' '}
            <a href={step.url} target="_blank" rel="noreferrer">
              open the sign-in page
            </a>
            .
          </p>
        </div>
      ) : (
        <form
          onSubmit={(event) => {
            event.preventDefault()
            void (manual ? add() : lookUp())
          }}
        >
          {field('email', 'Email address', 'email')}
          {field('password', 'Password', 'password')}
          {manual && field('name', 'Name shown for this account (optional)')}
          {manual && step.found && (
            <p className="muted">
              Settings found via {step.found.source}. Check them, or change them.
            </p>
          )}
          {mustConfirm && outside && (
            <div className="notice warning" role="alert" aria-label="Confirm the servers">
              <p>
                The settings found for {outside.domain} point to {toConfirm.join(' and ')} — use
                them?
              </p>
              <p className="muted">
                Only DNS named {toConfirm.length > 1 ? 'these servers' : 'this server'}, outside{' '}
                {outside.domain}, and DNS answers can be forged. Use{' '}
                {toConfirm.length > 1 ? 'them' : 'it'} only if your provider says so; otherwise
                enter its servers below. Your password is not sent until you choose.
              </p>
              <button type="button" onClick={() => setConfirmed(true)}>
                Use them
              </button>
            </div>
          )}
          {manual && step.found?.oauth && (
            <button type="button" className="oauth" onClick={() => void signInWithProvider()}>
              Sign in with {providerName(step.found.oauth.providerId)}
            </button>
          )}
          {manual && (
            <>
              <ServerEditor
                title="Incoming mail (IMAP)"
                protocol="imap"
                fields={form.imap}
                error={errors.imap}
                onChange={(imap) => setForm({ ...form, imap })}
              />
              <ServerEditor
                title="Outgoing mail (SMTP)"
                protocol="smtp"
                fields={form.smtp}
                error={errors.smtp}
                onChange={(smtp) => setForm({ ...form, smtp })}
              />
              <label className="checkbox">
                <input
                  type="checkbox"
                  name="allowPlaintext"
                  checked={form.allowPlaintext}
                  onChange={(event) => setForm({ ...form, allowPlaintext: event.target.checked })}
                />
                Allow an unencrypted connection to a server that is not this computer
              </label>
              {errors.allowPlaintext && <p className="field-error">{errors.allowPlaintext}</p>}
            </>
          )}
          {failure && (
            <p className="error" role="alert">
              {failure}
            </p>
          )}
          {busy && (
            <p className="muted" role="status">
              {busy}
            </p>
          )}
          <div className="dialog-actions">
            {!manual && (
              <button
                type="button"
                onClick={() => {
                  setForm(guessedSettings(form))
                  setStep({ kind: 'settings', found: null })
                }}
              >
                Manual settings
              </button>
            )}
            <button type="button" onClick={cancel}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={busy !== null || mustConfirm}>
              {manual ? 'Add account' : 'Continue'}
            </button>
          </div>
        </form>
      )}
    </div>
  )
}

function ServerEditor({
  title,
  protocol,
  fields,
  error,
  onChange,
}: {
  title: string
  protocol: 'imap' | 'smtp'
  fields: ServerFields
  error: string | undefined
  onChange: (fields: ServerFields) => void
}) {
  return (
    <fieldset className="server" aria-label={title}>
      <legend>{title}</legend>
      <label className="field">
        <span>Server</span>
        <input
          name={`${protocol}-host`}
          value={fields.host}
          onChange={(event) => onChange({ ...fields, host: event.target.value })}
        />
      </label>
      <label className="field port">
        <span>Port</span>
        <input
          name={`${protocol}-port`}
          inputMode="numeric"
          value={fields.port}
          onChange={(event) => onChange({ ...fields, port: event.target.value })}
        />
      </label>
      <label className="field">
        <span>Security</span>
        <select
          name={`${protocol}-security`}
          value={fields.security}
          onChange={(event) =>
            onChange(withSecurity(fields, protocol, event.target.value as ServerFields['security']))
          }
        >
          <option value="tls">TLS</option>
          <option value="starttls">STARTTLS</option>
          <option value="plain">None (unencrypted)</option>
        </select>
      </label>
      <label className="field">
        <span>User name</span>
        <input
          name={`${protocol}-username`}
          value={fields.username}
          onChange={(event) => onChange({ ...fields, username: event.target.value })}
        />
      </label>
      {error && <p className="field-error">{error}</p>}
    </fieldset>
  )
}

/** The certificate the user is asked about, with what they need to compare it. */
export function CertificatePrompt({
  question,
  busy,
  onTrust,
  onBack,
}: {
  question: CertificateQuestion
  busy: string | null
  onTrust: (fingerprint: string) => void
  onBack: () => void
}) {
  const { title, detail } = describeCertificate(question)
  const cert = question.certificate
  return (
    <div className="certificate" role="alertdialog" aria-label={title}>
      <h3>{title}</h3>
      <p>{detail}</p>
      {cert ? (
        <dl>
          <dt>SHA-256 fingerprint</dt>
          <dd className="fingerprint">{formatFingerprint(cert.fingerprint256)}</dd>
          <dt>Issued to</dt>
          <dd>{cert.subject}</dd>
          <dt>Issued by</dt>
          <dd>{cert.issuer}</dd>
          <dt>Valid</dt>
          <dd>
            {cert.validFrom} – {cert.validTo}
          </dd>
        </dl>
      ) : (
        <p className="error">The certificate could not be read, so it cannot be trusted.</p>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={onBack}>
          Do not trust
        </button>
        {cert && (
          <button
            type="button"
            className="danger"
            disabled={busy !== null}
            onClick={() => onTrust(cert.fingerprint256)}
          >
            Trust this certificate
          </button>
        )}
      </div>
    </div>
  )
}

function providerName(id: string): string {
  const names: Record<string, string> = { google: 'Google', microsoft: 'Microsoft' }
  return names[id] ?? id
}
