import { useState } from 'react'
import type { AccountSummary } from '../../main/ipc/contract'
import { call, errorMessage } from '../api'
import { AccountStatus } from './AccountStatus'
import { AddAccount } from './AddAccount'

/**
 * Settings › Accounts: every mail account with its servers and sync state,
 * adding one, removing one. Opened straight on "Add an account" from the
 * first-run screen.
 */
export function AccountsDialog({
  accounts,
  startAdding,
  onClose,
}: {
  accounts: AccountSummary[]
  startAdding: boolean
  onClose: () => void
}) {
  const [adding, setAdding] = useState(startAdding)
  const [failure, setFailure] = useState<string | null>(null)
  return (
    <div className="dialog-backdrop">
      <div className="dialog accounts-dialog" role="dialog" aria-label="Accounts">
        {adding ? (
          <AddAccount
            onAdded={() => (startAdding ? onClose() : setAdding(false))}
            onCancel={() => (startAdding ? onClose() : setAdding(false))}
          />
        ) : (
          <>
            <h2>Accounts</h2>
            {accounts.length === 0 && <p className="muted">No mail accounts yet.</p>}
            <ul className="account-list">
              {accounts.map((account) => (
                <li key={account.id}>
                  <div className="account-line">
                    <strong>{account.name}</strong>
                    <span className="muted">
                      {account.imap.host}:{account.imap.port} · {account.smtp.host}:
                      {account.smtp.port}
                    </span>
                    <button
                      type="button"
                      className="small"
                      onClick={() => {
                        if (!window.confirm(`Remove the account ${account.email} from Cairn?`))
                          return
                        call('accounts.remove', { accountId: account.id }).catch((error: unknown) =>
                          setFailure(errorMessage(error)),
                        )
                      }}
                    >
                      Remove
                    </button>
                  </div>
                  <AccountStatus account={account} />
                </li>
              ))}
            </ul>
            {failure && <p className="error">{failure}</p>}
            <div className="dialog-actions">
              <button type="button" onClick={onClose}>
                Close
              </button>
              <button type="button" className="primary" onClick={() => setAdding(true)}>
                Add an account
              </button>
            </div>
          </>
        )}
      </div>
    </div>
  )
}
