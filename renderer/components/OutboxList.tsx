import { useEffect, useState } from 'react'
import type { OutboxItem } from '../../main/ipc/contract'
import { visibleLine } from '../../common/visible-text'
import { call, errorMessage } from '../api'
import { describeOutboxItem, sendingAccountsOf } from '../mail/outbox-status'
import { Empty, ErrorState } from './States'

/**
 * The messages waiting in the outbox, each with its state in words and why
 * it is stuck, and Send now / Delete for one not being sent. Subjects,
 * addresses and error texts (server answers) are shown as visible text.
 */
export function OutboxList({ items, error }: { items: OutboxItem[]; error: string | null }) {
  // The "next try at" and "due" wording follows the clock.
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 15_000)
    return () => clearInterval(timer)
  }, [])
  const [failure, setFailure] = useState<string | null>(null)
  // Delete throws away a message the user wrote: asked once more, in place.
  const [confirming, setConfirming] = useState<number | null>(null)
  const act = (work: Promise<unknown>) => {
    setFailure(null)
    work.catch((e: unknown) => setFailure(errorMessage(e)))
  }
  if (error && items.length === 0) return <ErrorState message={error} />
  const sendingAccounts = sendingAccountsOf(items)
  return (
    <div className="outbox">
      <h2 className="outbox-title">Outbox</h2>
      {failure && (
        <p className="error" role="alert">
          {visibleLine(failure)}
        </p>
      )}
      {items.length === 0 ? (
        <Empty title="Nothing waiting to be sent" detail="Every message has left the outbox." />
      ) : (
        <ul className="outbox-list" aria-label="Messages waiting to be sent">
          {items.map((item) => {
            const status = describeOutboxItem(item, now, sendingAccounts)
            const subject = visibleLine(item.subject) || '(no subject)'
            return (
              <li
                key={item.id}
                className={`outbox-item tone-${status.tone}`}
                data-outbox-id={item.id}
                data-state={item.state}
              >
                <div className="row-line">
                  <span className="row-subject">{subject}</span>
                </div>
                <div className="outbox-recipients">
                  To {visibleLine(item.to.join(', '))}
                  {item.account && (
                    <span className="muted"> · from {visibleLine(item.account)}</span>
                  )}
                </div>
                <p className="outbox-status">{visibleLine(status.label)}</p>
                {status.detail && <p className="outbox-detail">{visibleLine(status.detail)}</p>}
                {status.actionable && (
                  <div
                    className="outbox-actions"
                    role="group"
                    aria-label={`Actions for ${subject}`}
                  >
                    <button
                      type="button"
                      className="small"
                      onClick={() => act(call('outbox.sendNow', { outboxId: item.id }))}
                    >
                      Send now
                    </button>
                    {confirming === item.id ? (
                      <>
                        <span className="muted">Delete this unsent message?</span>
                        <button
                          type="button"
                          className="small danger"
                          onClick={() => {
                            setConfirming(null)
                            act(call('outbox.remove', { outboxId: item.id }))
                          }}
                        >
                          Delete unsent message
                        </button>
                        <button type="button" className="small" onClick={() => setConfirming(null)}>
                          Keep
                        </button>
                      </>
                    ) : (
                      <button
                        type="button"
                        className="small danger"
                        onClick={() => setConfirming(item.id)}
                      >
                        Delete
                      </button>
                    )}
                  </div>
                )}
              </li>
            )
          })}
        </ul>
      )}
    </div>
  )
}
