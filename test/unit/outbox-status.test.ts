import { describe, expect, it } from 'vitest'
import type { OutboxItem } from '../../main/ipc/contract'
import { formatDate } from '../../renderer/format'
import { describeOutboxItem, sendingAccountsOf } from '../../renderer/mail/outbox-status'

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0)
const item = (over: Partial<OutboxItem>): OutboxItem => ({
  id: 1,
  accountId: 1,
  account: 'ada@example.test',
  subject: 'Plans',
  to: ['ben@example.test'],
  state: 'queued',
  attempts: 0,
  lastError: null,
  nextAttemptAt: NOW,
  createdAt: NOW,
  ...over,
})

describe('how the Outbox says where a message is', () => {
  it('due behind a message its account is sending: says it goes right after, not just "waiting"', () => {
    const items = [
      item({ id: 1, accountId: 1, state: 'sending' }),
      item({ id: 2, accountId: 1 }),
      item({ id: 3, accountId: 2 }),
    ]
    const sending = sendingAccountsOf(items)
    expect(describeOutboxItem(items[1]!, NOW, sending)).toMatchObject({
      label: 'Sending after the message being sent from this account',
      actionable: true,
    })
    // Another account's message does not wait for it.
    expect(describeOutboxItem(items[2]!, NOW, sending).label).toBe('Waiting to send')
  })

  it('waiting: due now, or with the time of the next try and why the last one failed', () => {
    expect(describeOutboxItem(item({}), NOW)).toEqual({
      label: 'Waiting to send',
      detail: null,
      tone: 'busy',
      actionable: true,
    })
    const next = NOW + 300_000
    expect(
      describeOutboxItem(
        item({ attempts: 2, nextAttemptAt: next, lastError: 'smtp:587 cannot be reached' }),
        NOW,
      ),
    ).toEqual({
      label: `Waiting to send — next try at ${formatDate(next, new Date(NOW))}`,
      detail: 'Not sent yet: smtp:587 cannot be reached',
      tone: 'warning',
      actionable: true,
    })
  })

  it('failed for good: "Not sent" with the reason; being sent: nothing to do but wait', () => {
    expect(
      describeOutboxItem(
        item({ state: 'failed', nextAttemptAt: null, lastError: 'Recipient refused' }),
        NOW,
      ),
    ).toEqual({
      label: 'Not sent: Recipient refused',
      detail: null,
      tone: 'error',
      actionable: true,
    })
    expect(describeOutboxItem(item({ state: 'sending', nextAttemptAt: null }), NOW)).toMatchObject({
      label: 'Sending…',
      actionable: false,
    })
  })
})
