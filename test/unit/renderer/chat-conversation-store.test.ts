import { describe, expect, it } from 'vitest'
import type { CairnBridge, Envelope } from '../../../main/ipc/bridge'
import type { ChatMessageItem } from '../../../main/ipc/contract'
import { setBridge } from '../../../renderer/api'
import { ConversationStore } from '../../../renderer/chat/conversation-store'

/**
 * The conversation store against an in-memory bridge standing in for the
 * main side: the profile's history of one chat, and the server archive
 * (asked only through chat.loadOlder, which is counted).
 */
function fakeMain() {
  const history: ChatMessageItem[] = []
  const listeners = new Map<string, Set<(payload: unknown) => void>>()
  let archiveAsked = 0
  /** While set, a history call for older messages waits for it (a slow answer). */
  let olderGate: Promise<void> | null = null
  const add = (count: number) => {
    for (let i = 0; i < count; i++) {
      const id = history.length + 1
      history.push({
        id,
        ord: id,
        direction: 'in',
        sender: 'm',
        sentAt: id,
        seen: false,
      } as unknown as ChatMessageItem)
    }
  }
  const bridge = {
    invoke: async (method: string, input: { limit: number; beforeId?: number }) => {
      if (method === 'chat.history') {
        if (input.beforeId !== undefined && olderGate) await olderGate
        const older = history.filter((m) => input.beforeId === undefined || m.id < input.beforeId)
        return { ok: true, value: older.slice(-input.limit) }
      }
      if (method === 'chat.loadOlder') {
        archiveAsked++
        return { ok: true, value: { added: 0, complete: true } }
      }
      throw new Error(`unexpected ${method}`)
    },
    on: (event: string, listener: (payload: unknown) => void) => {
      const set = listeners.get(event) ?? new Set()
      set.add(listener)
      listeners.set(event, set)
      return () => set.delete(listener)
    },
  } as unknown as CairnBridge & { invoke(...args: unknown[]): Promise<Envelope<unknown>> }
  const emit = (event: string, payload: unknown) => {
    for (const listener of listeners.get(event) ?? []) listener(payload)
  }
  const holdOlder = () => {
    let release = () => {}
    olderGate = new Promise<void>((resolve) => (release = resolve))
    return () => {
      olderGate = null
      release()
    }
  }
  return { bridge, add, emit, holdOlder, archiveAsked: () => archiveAsked }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 150))

describe('the conversation store', () => {
  it('after a burst too big to join what is shown, scrolls back through the profile, not the server', async () => {
    const main = fakeMain()
    setBridge(main.bridge)
    const store = new ConversationStore(1)
    const stop = store.start()
    await settle()
    expect(store.snapshot().messages).toEqual([]) // opened empty: nothing older in the profile
    main.add(500) // a flood: the newest 200 do not meet what is shown
    main.emit('chat.message', { chatId: 1 })
    await settle()
    expect(store.snapshot().messages.map((m) => m.id)[0]).toBe(301)
    await store.loadOlder()
    expect(store.snapshot().messages.map((m) => m.id)[0]).toBe(251)
    expect(main.archiveAsked()).toBe(0)
    for (let i = 0; i < 5; i++) await store.loadOlder()
    expect(store.snapshot().messages[0]?.id).toBe(1)
    expect(store.snapshot().messages).toHaveLength(500)
    await store.loadOlder() // the profile has no more: now the server's archive is asked
    expect(main.archiveAsked()).toBe(1)
    expect(store.snapshot().complete).toBe(true)
    stop()
  })

  it('a flood after the start was reached forgets "this is the start": scroll-back reaches the first message', async () => {
    const main = fakeMain()
    setBridge(main.bridge)
    main.add(3)
    const store = new ConversationStore(1)
    const stop = store.start()
    await settle()
    await store.loadOlder() // the profile and the archive have nothing older than these 3
    expect(store.snapshot().complete).toBe(true)
    main.add(500) // a flood too big to join what is shown replaces it
    main.emit('chat.message', { chatId: 1 })
    await settle()
    expect(store.snapshot().messages[0]?.id).toBe(304)
    expect(store.snapshot().complete).toBe(false)
    for (let i = 0; i < 10 && !store.snapshot().complete; i++) await store.loadOlder()
    expect(store.snapshot().messages[0]?.id).toBe(1)
    expect(store.snapshot().messages).toHaveLength(503)
    stop()
  })

  it('drops an older page asked before the list was replaced, rather than leave a gap', async () => {
    const main = fakeMain()
    setBridge(main.bridge)
    main.add(300)
    const store = new ConversationStore(1)
    const stop = store.start()
    await settle()
    expect(store.snapshot().messages[0]?.id).toBe(251)
    const release = main.holdOlder()
    const older = store.loadOlder() // in flight: the page before 251 …
    main.add(500) // … while a flood replaces the list
    main.emit('chat.message', { chatId: 1 })
    await settle()
    expect(store.snapshot().messages[0]?.id).toBe(601)
    release()
    await older
    const ids = store.snapshot().messages.map((m) => m.id)
    expect(ids[0]).toBe(601)
    // No gap: every id from the first shown to the last.
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => 601 + i))
    stop()
  })
})
