import { useState, type FormEvent } from 'react'
import type { ChatAccountView, UntrustedCertificate } from '../../../main/ipc/contract'
import { call, errorMessage } from '../../api'
import { connectionLabel, visibleLine } from '../../chat/view-models'
import { CertificateReview } from './AccountSetup'

/**
 * One chat account: its connection state in words, and what can be done
 * about it: connect again, give the password again (wrong, or missing from
 * the keychain), review a certificate the server now presents, remove it.
 */
export function AccountPanel({
  account,
  onClose,
}: {
  account: ChatAccountView
  onClose: () => void
}) {
  const label = connectionLabel(account.connection)
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [certificate, setCertificate] = useState<UntrustedCertificate | null>(null)
  const [confirmRemove, setConfirmRemove] = useState(false)
  const failedFingerprint =
    account.connection.status === 'failed' ? account.connection.error.fingerprint : undefined

  const act = async (action: () => Promise<unknown>) => {
    setBusy(true)
    setError(null)
    try {
      await action()
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  const update = (change: { password?: string; trustFingerprint?: string }) =>
    act(async () => {
      const answer = await call('chat.account.update', { accountId: account.id, ...change })
      if (answer.status === 'untrusted') setCertificate(answer.certificate)
      else {
        setCertificate(null)
        setPassword('')
      }
    })

  const review =
    certificate ??
    (label.action === 'certificate' && failedFingerprint
      ? { fingerprint: failedFingerprint }
      : null)

  return (
    <section className="chat-form account-panel" aria-labelledby="account-panel-title">
      <h2 id="account-panel-title">{visibleLine(account.jid)}</h2>
      <p className={`connection connection-${label.tone}`} role="status">
        <span className="connection-dot" aria-hidden="true" /> {label.short}
      </p>
      {label.tone !== 'ok' && <p className="connection-detail">{visibleLine(label.detail)}</p>}
      <p className="muted">
        Server: {account.server ? visibleLine(account.server) : 'found from the address (DNS)'}
        {account.trustedFingerprint && ' · a certificate you trusted by its fingerprint'}
      </p>

      {review && (
        <CertificateReview
          certificate={review}
          busy={busy}
          error={error}
          onTrust={() => void update({ trustFingerprint: review.fingerprint })}
          onCancel={() => setCertificate(null)}
        />
      )}

      {label.action === 'password' && (
        <form
          onSubmit={(event: FormEvent) => {
            event.preventDefault()
            void update({ password })
          }}
        >
          <label>
            Password for {visibleLine(account.jid)}
            <input
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
              maxLength={1024}
            />
          </label>
          <button type="submit" className="primary" disabled={busy || !password}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      )}

      {error && !review && (
        <p className="error" role="alert">
          {error}
        </p>
      )}

      <div className="dialog-actions">
        {label.action === 'reconnect' && (
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              void act(() => call('chat.account.reconnect', { accountId: account.id }))
            }
          >
            Connect now
          </button>
        )}
        {confirmRemove ? (
          <>
            <span className="muted">
              Remove this account and its password from Cairn? Its chats go too.
            </span>
            <button type="button" onClick={() => setConfirmRemove(false)}>
              Keep it
            </button>
            <button
              type="button"
              className="danger"
              disabled={busy}
              onClick={() =>
                void act(async () => {
                  await call('chat.account.remove', { accountId: account.id })
                  onClose()
                })
              }
            >
              Remove
            </button>
          </>
        ) : (
          <button type="button" onClick={() => setConfirmRemove(true)}>
            Remove account…
          </button>
        )}
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </section>
  )
}
