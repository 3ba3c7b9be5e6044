import type { OutboxEntry } from '../mail/send/outbox-store.js'
import type { SendService } from '../mail/send/send-service.js'
import { plainLine } from '../shared/plain-line.js'
import type { HostAdapter } from './context.js'

/**
 * A desktop notification when a message leaves the sending queue as not
 * sent (a server refused it for good): the Outbox shows it, but a user who
 * pressed Send and moved on would otherwise believe it gone. Once per
 * message and reason, not for what had failed before (it waits in the
 * Outbox); clicking it runs `open` (the Outbox). Returns the unsubscribe.
 */
export function notifyNotSent(
  send: Pick<SendService, 'events' | 'outbox'>,
  host: Pick<HostAdapter, 'notify'>,
  open: () => void,
): () => void {
  const notify = host.notify
  if (!notify) return () => undefined
  const signature = (entry: OutboxEntry) => `${entry.id}\u0000${entry.lastError ?? ''}`
  // What had failed before this run is in the Outbox already; it is not news.
  const shown = new Set(
    send
      .outbox()
      .filter((e) => e.state === 'failed')
      .map(signature),
  )
  return send.events.on('outboxChanged', ({ entries }) => {
    for (const entry of entries) {
      if (entry.state !== 'failed') continue
      if (shown.has(signature(entry))) continue
      shown.add(signature(entry))
      const subject = entry.subject.trim() ? `“${entry.subject}”` : 'A message without a subject'
      notify(
        {
          title: 'A message was not sent',
          body: plainLine(`${subject} to ${entry.to.join(', ')}: ${entry.lastError ?? ''}`, 200),
        },
        open,
      )
    }
  })
}
