import { useEffect, useRef, useState, type FormEvent } from 'react'
import type {
  AccountAnswer,
  ChatAccountView,
  UntrustedCertificate,
} from '../../../main/ipc/contract'
import { call, errorMessage } from '../../api'
import { certificateReason, fingerprintLines, visibleLine } from '../../chat/view-models'

/**
 * Add a chat account: address and password, the server by hand only when
 * DNS does not name it. Cairn signs in before keeping anything. A server
 * whose certificate no trusted authority vouches for is never accepted
 * silently: its fingerprint is shown, and only an explicit "trust this
 * certificate" (after comparing it) signs in with it.
 */
export function AccountSetup({
  onAdded,
  onCancel,
}: {
  onAdded: (account: ChatAccountView) => void
  onCancel?: () => void
}) {
  const [jid, setJid] = useState('')
  const [password, setPassword] = useState('')
  const [server, setServer] = useState('')
  const [showServer, setShowServer] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [certificate, setCertificate] = useState<UntrustedCertificate | null>(null)
  const firstField = useRef<HTMLInputElement>(null)

  useEffect(() => firstField.current?.focus(), [])

  const submit = async (trustFingerprint?: string) => {
    setBusy(true)
    setError(null)
    try {
      const answer: AccountAnswer = await call('chat.account.add', {
        jid: jid.trim(),
        password,
        ...(server.trim() ? { server: server.trim() } : {}),
        ...(trustFingerprint ? { trustFingerprint } : {}),
      })
      if (answer.status === 'untrusted') setCertificate(answer.certificate)
      else {
        setPassword('')
        onAdded(answer.account)
      }
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  if (certificate)
    return (
      <section className="chat-form" aria-labelledby="cert-title">
        <CertificateReview
          certificate={certificate}
          busy={busy}
          error={error}
          onTrust={() => void submit(certificate.fingerprint)}
          onCancel={() => {
            setCertificate(null)
            setError(null)
          }}
        />
      </section>
    )

  return (
    <form
      className="chat-form"
      aria-labelledby="account-title"
      onSubmit={(event: FormEvent) => {
        event.preventDefault()
        void submit()
      }}
    >
      <h2 id="account-title">Add a chat account</h2>
      <p className="muted">
        Cairn chats over XMPP (Jabber). Your password is kept in your system&apos;s keychain, never
        in the profile.
      </p>
      <label>
        Chat address
        <input
          ref={firstField}
          type="text"
          inputMode="email"
          autoComplete="username"
          spellCheck={false}
          placeholder="you@example.org"
          value={jid}
          onChange={(e) => setJid(e.target.value)}
          required
          maxLength={3071}
        />
      </label>
      <label>
        Password
        <input
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
          maxLength={1024}
        />
      </label>
      {showServer ? (
        <label>
          Server (host or host:port)
          <input
            type="text"
            placeholder="Found automatically from the address"
            value={server}
            onChange={(e) => setServer(e.target.value)}
            maxLength={300}
          />
        </label>
      ) : (
        <button type="button" className="link" onClick={() => setShowServer(true)}>
          Enter the server by hand…
        </button>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        {onCancel && (
          <button type="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        )}
        <button type="submit" className="primary" disabled={busy || !jid.trim() || !password}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </div>
    </form>
  )
}

/** A certificate nobody vouches for: what it is, and an explicit choice to trust it. */
export function CertificateReview({
  certificate,
  busy,
  error,
  onTrust,
  onCancel,
}: {
  certificate: Pick<UntrustedCertificate, 'fingerprint'> & Partial<UntrustedCertificate>
  busy: boolean
  error: string | null
  onTrust: () => void
  onCancel: () => void
}) {
  const [checked, setChecked] = useState(false)
  return (
    <div className="certificate-review">
      <h2 id="cert-title">This server&apos;s certificate is not trusted</h2>
      <p>
        {certificate.host ? (
          <>
            The server <strong>{visibleLine(certificate.host)}</strong> presented a certificate
          </>
        ) : (
          'The server presented a certificate'
        )}{' '}
        that no authority your system trusts vouches for
        {certificate.reason ? `: ${certificateReason(visibleLine(certificate.reason))}` : ''}.
        Nothing was sent to it: not your password, not your messages.
      </p>
      <p>
        Trust it only if this is your own server, or your administrator gave you this exact
        fingerprint. Someone between you and the server would present a different one.
      </p>
      <dl className="certificate">
        <dt>SHA-256 fingerprint</dt>
        <dd className="fingerprint" data-testid="fingerprint">
          {fingerprintLines(certificate.fingerprint).map((line) => (
            <span key={line}>{line}</span>
          ))}
        </dd>
        {certificate.subject && (
          <>
            <dt>Issued to</dt>
            <dd>{visibleLine(certificate.subject)}</dd>
          </>
        )}
        {certificate.issuer && (
          <>
            <dt>Issued by</dt>
            <dd>{visibleLine(certificate.issuer)}</dd>
          </>
        )}
      </dl>
      <label className="check">
        <input type="checkbox" checked={checked} onChange={(e) => setChecked(e.target.checked)} />I
        compared this fingerprint and trust this certificate
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel} disabled={busy}>
          Don&apos;t trust it
        </button>
        <button type="button" className="primary" disabled={!checked || busy} onClick={onTrust}>
          {busy ? 'Signing in…' : 'Trust this certificate and sign in'}
        </button>
      </div>
    </div>
  )
}
