import { useEffect, useState } from 'react'
import type { AccountSummary } from '../../main/ipc/contract'
import { call, errorMessage } from '../api'
import { describeStatus } from '../accounts/account-status'
import { formatFingerprint } from '../accounts/setup-form'

/** An account's sync state under its name, with what the user can do about a bad one. */
export function AccountStatus({ account }: { account: AccountSummary }) {
  const [now, setNow] = useState(() => Date.now())
  const [password, setPassword] = useState('')
  const [failure, setFailure] = useState<string | null>(null)
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 15_000)
    return () => clearInterval(timer)
  }, [])
  const line = describeStatus(account.state, now)
  const act = (work: Promise<unknown>) => {
    setFailure(null)
    work.catch((error: unknown) => setFailure(errorMessage(error)))
  }
  const cert = account.state.certificate
  return (
    <div
      className={`account-status tone-${line.tone}`}
      data-account={account.email}
      data-status={account.state.status}
      role={line.tone === 'error' ? 'alert' : 'status'}
    >
      <span className="status-label">{line.label}</span>
      {line.detail && <p className="status-detail">{line.detail}</p>}
      {line.action === 'retry' && (
        <button
          type="button"
          className="small"
          onClick={() => act(call('accounts.syncNow', { accountId: account.id }))}
        >
          Try now
        </button>
      )}
      {line.action === 'password' && (
        <form
          className="status-password"
          onSubmit={(event) => {
            event.preventDefault()
            act(call('accounts.setPassword', { accountId: account.id, password }))
            setPassword('')
          }}
        >
          <input
            type="password"
            aria-label={`New password for ${account.email}`}
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
          <button type="submit" className="small" disabled={password.length === 0}>
            Save
          </button>
        </form>
      )}
      {line.action === 'trust' && cert && (
        <div className="status-certificate">
          <p className="fingerprint" title="SHA-256 fingerprint">
            {formatFingerprint(cert.fingerprint256)}
          </p>
          <button
            type="button"
            className="small danger"
            onClick={() =>
              act(
                call('accounts.trustCertificate', {
                  accountId: account.id,
                  which: 'imap',
                  fingerprint256: cert.fingerprint256,
                }),
              )
            }
          >
            Trust this certificate
          </button>
        </div>
      )}
      {failure && <p className="error">{failure}</p>}
    </div>
  )
}
