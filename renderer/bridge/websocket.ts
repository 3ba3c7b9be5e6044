import type { CairnBridge, Envelope } from '../../main/ipc/bridge'
import type { EventName } from '../../main/ipc/contract'

/**
 * The browser build's side of the contract: the same bridge as the preload
 * script's, carried over a WebSocket to the loopback host. The host's URL
 * carries a per-run token in the fragment; it is read once and removed from
 * the address bar.
 */
export async function connectWebSocketBridge(): Promise<CairnBridge> {
  const token = new URLSearchParams(location.hash.slice(1)).get('token')
  if (!token)
    throw new Error(
      'Open Cairn with the address printed by "npm run dev:web" (it carries the access token).',
    )
  history.replaceState(null, '', location.pathname + location.search)
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws?token=${encodeURIComponent(token)}`
  const socket = new WebSocket(url)
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true })
    socket.addEventListener(
      'error',
      () => reject(new Error('Cannot reach the Cairn host. Is "npm run dev:web" still running?')),
      {
        once: true,
      },
    )
  })

  let nextId = 1
  const pending = new Map<number, (envelope: Envelope<unknown>) => void>()
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>()

  socket.addEventListener('message', (message: MessageEvent<string>) => {
    const data = JSON.parse(message.data) as
      { id: number; envelope: Envelope<unknown> } | { event: EventName; payload: unknown }
    if ('id' in data) {
      pending.get(data.id)?.(data.envelope)
      pending.delete(data.id)
    } else {
      for (const listener of listeners.get(data.event) ?? []) listener(data.payload)
    }
  })
  socket.addEventListener('close', () => {
    for (const resolve of pending.values()) {
      resolve({
        ok: false,
        error: {
          code: 'DISCONNECTED',
          message: 'The connection to Cairn was lost. Reload the page.',
        },
      })
    }
    pending.clear()
  })

  const bridge: CairnBridge = {
    invoke(method, input) {
      const id = nextId++
      return new Promise((resolve) => {
        if (socket.readyState !== WebSocket.OPEN) {
          resolve({
            ok: false,
            error: {
              code: 'DISCONNECTED',
              message: 'The connection to Cairn was lost. Reload the page.',
            },
          })
          return
        }
        pending.set(id, resolve as (envelope: Envelope<unknown>) => void)
        socket.send(JSON.stringify({ id, method, input }))
      })
    },
    on(event, listener) {
      let set = listeners.get(event)
      if (!set) listeners.set(event, (set = new Set()))
      const wrapped = listener as (payload: unknown) => void
      set.add(wrapped)
      return () => set.delete(wrapped)
    },
  }
  return bridge
}
