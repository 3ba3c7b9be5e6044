import { useEffect, useState } from 'react'
import type { OutboxItem } from '../../main/ipc/contract'
import { call, errorMessage, on } from '../api'

export interface Outbox {
  /** The messages not sent yet; empty until the first answer. */
  items: OutboxItem[]
  error: string | null
}

/** The outbox, loaded once and then kept current by `outbox.changed` (which carries the whole list). */
export function useOutbox(): Outbox {
  const [state, setState] = useState<Outbox>({ items: [], error: null })
  useEffect(() => {
    let changed = false
    const off = on('outbox.changed', ({ items }) => {
      changed = true
      setState({ items, error: null })
    })
    call('outbox.list', {}).then(
      // An event that came first is newer than this answer.
      (items) => !changed && setState({ items, error: null }),
      (error: unknown) => !changed && setState((s) => ({ ...s, error: errorMessage(error) })),
    )
    return off
  }, [])
  return state
}
