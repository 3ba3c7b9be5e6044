/**
 * The outbox as the user sees it: the messages not sent yet (queued,
 * being sent, failed), each with why it is still here, and what the user
 * can do about one (send it now, give up on it). Sent entries whose copy in
 * Sent is still to be filed are delivered mail, not shown.
 */
import { z } from 'zod'
import type { OutboxEntry } from '../../mail/send/outbox-store.js'
import type { ServiceContext } from '../context.js'
import { defineService, event, method, returns } from '../define.js'

const none = z.object({}).strict()
const outboxId = z.number().int().positive()

/** A message waiting in the outbox, as the Outbox list shows it. */
export interface OutboxItem {
  id: number
  accountId: number
  /** The address it is sent from. */
  account: string
  subject: string
  /** The recipients it still has to reach (those the server refused, after a partial delivery). */
  to: string[]
  state: 'queued' | 'sending' | 'failed'
  attempts: number
  /** The last attempt's failure, in words (server texts included: hostile, shown as text). */
  lastError: string | null
  /** When a queued message is tried next (ms since the epoch); null when sending or failed. */
  nextAttemptAt: number | null
  createdAt: number
}

type Waiting = OutboxEntry & { state: OutboxItem['state'] }

function isWaiting(entry: OutboxEntry): entry is Waiting {
  return entry.state !== 'sent'
}

/** Plain views of the entries not sent yet, each with its account's address. */
function waitingItems(ctx: ServiceContext, entries: OutboxEntry[]): OutboxItem[] {
  const waiting = entries.filter(isWaiting)
  if (waiting.length === 0) return []
  const emails = new Map(ctx.mailAccounts.accounts.list().map((a) => [a.id, a.email]))
  return waiting.map((e) => ({
    id: e.id,
    accountId: e.accountId,
    account: emails.get(e.accountId) ?? '',
    subject: e.subject,
    to: e.to,
    state: e.state,
    attempts: e.attempts,
    lastError: e.lastError,
    nextAttemptAt: e.state === 'queued' ? e.nextAttemptAt : null,
    createdAt: e.createdAt,
  }))
}

export const outboxService = defineService({
  methods: {
    list: method({
      input: none,
      output: returns<OutboxItem[]>(),
      handle: (ctx) => waitingItems(ctx, ctx.mailAccounts.send.outbox()),
    }),
    sendNow: method({
      input: z.object({ outboxId }).strict(),
      output: returns<null>(),
      handle: (ctx, { outboxId }) => {
        // Returns at once; `changed` tells how the attempt went.
        ctx.mailAccounts.send.sendNow(outboxId)
        return null
      },
    }),
    remove: method({
      input: z.object({ outboxId }).strict(),
      output: returns<null>(),
      handle: (ctx, { outboxId }) => {
        ctx.mailAccounts.send.remove(outboxId)
        return null
      },
    }),
  },
  events: {
    changed: event<{ items: OutboxItem[] }>((ctx, emit) =>
      ctx.mailAccounts.send.events.on('outboxChanged', ({ entries }) =>
        emit({ items: waitingItems(ctx, entries) }),
      ),
    ),
  },
})
