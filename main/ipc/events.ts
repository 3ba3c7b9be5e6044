import type { CairnServices } from '../services.js'
import type { EventName, EventPayloads } from './contract.js'

export type EventSender = <E extends EventName>(event: E, payload: EventPayloads[E]) => void

/** Forward every service event a renderer may see, under its contract name. Returns an unsubscribe. */
export function forwardEvents(services: CairnServices, send: EventSender): () => void {
  const offs = [
    services.mail.events.on('importProgress', (p) => send('mail.import.progress', p)),
    services.mail.events.on('importFinished', (p) => send('mail.import.finished', p)),
    services.mail.events.on('changed', (p) => send('mail.changed', p)),
  ]
  return () => offs.forEach((off) => off())
}
