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

/**
 * How the Outbox list says where a message is. The error texts come from
 * the main side (server answers included): the caller shows them through
 * the safe-text helpers.
 */
export function describeOutboxItem(item: OutboxItem, now: number): OutboxStatus {
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
      const label = due
        ? 'Waiting to send'
        : `Waiting to send — next try at ${formatDate(item.nextAttemptAt as number, new Date(now))}`
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
