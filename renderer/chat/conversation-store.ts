import { useEffect, useMemo, useSyncExternalStore } from 'react'
import type { ChatMessageItem } from '../../main/ipc/contract'
import { call, errorMessage, on } from '../api'
import { mergeNewer, mergeOlder } from './view-models'

export interface ConversationState {
  messages: ChatMessageItem[]
  loading: boolean
  loadingOlder: boolean
  /** Nothing older exists, here or in the server's archive. */
  complete: boolean
  error: string | null
}

const PAGE = 50
/** New messages are fetched this long after the first event of a burst. */
const REFRESH_DELAY_MS = 100

/**
 * One open conversation: its newest page, older pages fetched as the user
 * scrolls back (first from the profile, then from the server's archive),
 * new messages merged in as they arrive (a burst costs one fetch), delivery
 * states applied in place, downloaded files refreshed.
 */
export class ConversationStore {
  private state: ConversationState = {
    messages: [],
    loading: true,
    loadingOlder: false,
    complete: false,
    error: null,
  }
  private readonly listeners = new Set<() => void>()
  private refreshTimer: ReturnType<typeof setTimeout> | null = null
  private closed = false
  /** The profile has nothing older than what is shown: scrolling back asks the server. */
  private localExhausted = false
  /** Counts the times the shown list was replaced whole: an older page asked before is dropped. */
  private generation = 0

  constructor(readonly chatId: number) {}

  subscribe = (listener: () => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  snapshot = () => this.state

  start(): () => void {
    // (React's strict mode starts, stops and starts again: a restart is a fresh start.)
    this.closed = false
    const offs = [
      on('chat.message', ({ chatId }) => {
        if (chatId === this.chatId) this.scheduleRefresh()
      }),
      on('chat.messageState', ({ chatId, messageId, state }) => {
        if (chatId !== this.chatId) return
        // A read marker covers every earlier message: the store did the same, so fetch again.
        if (state === 'read') this.scheduleRefresh()
        else this.patch(messageId, { state })
      }),
      on('chat.attachment', ({ chatId, messageId }) => {
        if (chatId === this.chatId) void this.reloadMessage(messageId)
      }),
      on('chat.synced', () => this.scheduleRefresh()),
    ]
    void this.loadNewest(true)
    return () => {
      this.closed = true
      for (const off of offs) off()
      if (this.refreshTimer) clearTimeout(this.refreshTimer)
    }
  }

  private set(change: Partial<ConversationState>): void {
    if (this.closed) return
    this.state = { ...this.state, ...change }
    for (const listener of this.listeners) listener()
  }

  private patch(messageId: number, change: Partial<ChatMessageItem>): void {
    const index = this.state.messages.findIndex((m) => m.id === messageId)
    if (index === -1) {
      this.scheduleRefresh()
      return
    }
    const messages = [...this.state.messages]
    messages[index] = { ...(messages[index] as ChatMessageItem), ...change }
    this.set({ messages })
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) return
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null
      void this.loadNewest(false)
    }, REFRESH_DELAY_MS)
  }

  private async loadNewest(first: boolean): Promise<void> {
    try {
      const limit = first ? PAGE : 200
      const page = await call('chat.history', { chatId: this.chatId, limit })
      const messages = mergeNewer(this.state.messages, page)
      // The page is now all that is shown (the first one, or a burst too big to join what
      // was shown): the profile holds older messages unless the page came short. Keeping
      // the old answer sent every scroll back after a flood to the server's archive.
      // "Nothing older" was said of the list now gone: the gap below the new one is unknown.
      const replaced = messages.length === page.length && this.state.messages.length > 0
      if (messages.length === page.length) this.localExhausted = page.length < limit
      if (replaced) this.generation++
      this.set({
        messages,
        loading: false,
        error: null,
        ...(replaced ? { complete: false, loadingOlder: false } : {}),
      })
    } catch (error) {
      this.set({ loading: false, error: errorMessage(error) })
    }
  }

  /** Fetch one message again (its file was downloaded). */
  private async reloadMessage(messageId: number): Promise<void> {
    const messages = this.state.messages
    const index = messages.findIndex((m) => m.id === messageId)
    if (index === -1) return
    const next = messages[index + 1]
    try {
      const page = await call('chat.history', {
        chatId: this.chatId,
        limit: 1,
        ...(next ? { beforeId: next.id } : {}),
      })
      const fresh = page.find((m) => m.id === messageId)
      if (fresh) this.patch(messageId, fresh)
    } catch {
      // The next refresh brings it.
    }
  }

  /** Older messages, before the oldest shown: from the profile, else from the server's archive. */
  async loadOlder(): Promise<void> {
    if (this.state.loadingOlder || this.state.complete || this.state.loading) return
    this.set({ loadingOlder: true })
    const generation = this.generation
    // A page asked before the list was replaced belongs below the old list, not the new one.
    const stale = () => generation !== this.generation
    try {
      const oldest = this.state.messages[0]
      if (!this.localExhausted && oldest) {
        const page = await call('chat.history', {
          chatId: this.chatId,
          limit: PAGE,
          beforeId: oldest.id,
        })
        if (stale()) return
        if (page.length < PAGE) this.localExhausted = true
        if (page.length > 0) {
          this.set({ messages: mergeOlder(this.state.messages, page), loadingOlder: false })
          return
        }
      }
      const { complete } = await call('chat.loadOlder', { chatId: this.chatId, count: PAGE })
      const first = this.state.messages[0]
      const page = await call('chat.history', {
        chatId: this.chatId,
        limit: PAGE,
        ...(first ? { beforeId: first.id } : {}),
      })
      if (stale()) return
      this.set({
        messages: mergeOlder(this.state.messages, page),
        loadingOlder: false,
        complete: complete && page.length === 0,
      })
    } catch (error) {
      if (!stale()) this.set({ loadingOlder: false, error: errorMessage(error) })
    }
  }
}

export function useConversation(chatId: number): ConversationState & { loadOlder: () => void } {
  const store = useMemo(() => new ConversationStore(chatId), [chatId])
  useEffect(() => store.start(), [store])
  const state = useSyncExternalStore(store.subscribe, store.snapshot)
  return { ...state, loadOlder: () => void store.loadOlder() }
}
