import type { OutboxItem } from '../../main/ipc/contract'
import { formatDate } from '../format'

export interface OutboxStatus {
  /** The state in words: "Waiting to send — next try at 14:05", "Not sent: …". */
  label: string
  /** Why the last attempt failed, for a message that will be tried again. */
  detail: string | null
  tone: 'busy' | 'warning' | 'error'
  /** Send now and Delete are offered (not while it is being sent). */
  actionable: boolean
}

/** The accounts that have a message being sent now. */
export function sendingAccountsOf(items: readonly OutboxItem[]): Set<number> {
  return new Set(items.filter((i) => i.state === 'sending').map((i) => i.accountId))
}

/**
 * How the Outbox list says where a message is. The error texts come from
 * the main side (server answers included): the caller shows them through
 * the safe-text helpers.
 */
export function describeOutboxItem(
  item: OutboxItem,
  now: number,
  /** Accounts with a message being sent now: each account sends one message at a time. */
  sendingAccounts: ReadonlySet<number> = new Set(),
): OutboxStatus {
  switch (item.state) {
    case 'sending':
      return { label: 'Sending…', detail: null, tone: 'busy', actionable: false }
    case 'failed':
      return {
        label: `Not sent: ${item.lastError ?? 'the server refused it.'}`,
        detail: null,
        tone: 'error',
        actionable: true,
      }
    case 'queued': {
      const due = item.nextAttemptAt === null || item.nextAttemptAt <= now
      // Due, and its account's server is busy with another message: it goes right after.
      const label = !due
        ? `Waiting to send — next try at ${formatDate(item.nextAttemptAt as number, new Date(now))}`
        : sendingAccounts.has(item.accountId)
          ? 'Sending after the message being sent from this account'
          : 'Waiting to send'
      return item.lastError === null
        ? { label, detail: null, tone: 'busy', actionable: true }
        : {
            label,
            detail: `Not sent yet: ${item.lastError}`,
            tone: 'warning',
            actionable: true,
          }
    }
  }
}
