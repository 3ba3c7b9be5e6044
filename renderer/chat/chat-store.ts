import { useSyncExternalStore } from 'react'
import type { ChatListItem } from '../../main/chat/store/views'
import type { ChatAccountView, ContactView, EventPayloads } from '../../main/ipc/contract'
import { call, errorMessage, on } from '../api'
import { applyPresence } from './view-models'

/** Who is typing where: chat id → sender → when the indicator lapses (ms). */
export type TypingMap = ReadonlyMap<number, ReadonlyMap<string, number>>

/** A new message seen while the window was not focused (the browser build's in-app notice). */
export interface Notice {
  id: number
  chatId: number
  title: string
  body: string
}

export interface ChatState {
  loaded: boolean
  error: string | null
  accounts: ChatAccountView[]
  chats: ChatListItem[]
  /** Contacts per account, with presence. */
  contacts: ReadonlyMap<number, ContactView[]>
  typing: TypingMap
  notices: Notice[]
  /** Group chat members per chat, as the rooms last reported. */
  occupants: ReadonlyMap<number, string[]>
  /** A room that refused to let us in, per chat. */
  roomErrors: ReadonlyMap<number, string>
}

/** How long "is typing" shows without news (XEP-0085 suggests about 30 s). */
const TYPING_LAPSE_MS = 30_000
/** Refreshes coalesce: a burst of 1,000 messages costs a few reloads, not 1,000. */
const RELOAD_DELAY_MS = 150
/** At most one notification per chat in this time. */
const NOTIFY_GAP_MS = 5_000
const MAX_NOTICES = 5

/**
 * The chat view's shared state, fed by the contract's chat events: the
 * accounts and their connection, the conversation list with unread counts,
 * contacts with presence, who is typing, in-app notices. One instance per
 * page, subscribed once; components read it with useChatState(). Every
 * refresh an event asks for is coalesced (a flood of presences or
 * messages becomes a few reads), and presence changes are fetched for the
 * contacts that changed only.
 */
export class ChatStore {
  private state: ChatState = {
    loaded: false,
    error: null,
    accounts: [],
    chats: [],
    contacts: new Map(),
    typing: new Map(),
    notices: [],
    occupants: new Map(),
    roomErrors: new Map(),
  }
  private readonly listeners = new Set<() => void>()
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>()
  private readonly presenceQueue = new Map<number, Set<string>>()
  private readonly lastNotified = new Map<number, number>()
  private readonly offs: (() => void)[] = []
  private noticeId = 0

  subscribe = (listener: () => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  snapshot = () => this.state

  start(): () => void {
    this.offs.push(
      on('chat.state', (event) => this.onState(event)),
      on('chat.accounts', () => this.later('accounts', () => this.loadAccounts())),
      on('chat.message', (event) => this.onMessage(event)),
      on('chat.typing', (event) => this.onTyping(event)),
      on('chat.presence', ({ accountId, jids }) => this.onPresence(accountId, jids)),
      on('chat.roster', ({ accountId }) =>
        this.later(`contacts:${accountId}`, () => this.loadContacts(accountId)),
      ),
      on('chat.subscriptionRequest', ({ accountId }) =>
        this.later(`contacts:${accountId}`, () => this.loadContacts(accountId)),
      ),
      on('chat.room', (event) => this.onRoom(event)),
      on('chat.synced', () => this.later('chats', () => this.loadChats())),
    )
    const sweep = setInterval(() => this.sweepTyping(), 5_000)
    this.offs.push(() => clearInterval(sweep))
    void this.loadAccounts()
    void this.loadChats()
    return () => {
      for (const off of this.offs.splice(0)) off()
      for (const timer of this.timers.values()) clearTimeout(timer)
      this.timers.clear()
    }
  }

  /** Reload the conversation list now (after the user read or opened a chat). */
  refreshChats(): void {
    this.later('chats', () => this.loadChats(), 0)
  }

  refreshContacts(accountId: number): void {
    this.later(`contacts:${accountId}`, () => this.loadContacts(accountId), 0)
  }

  refreshAccounts(): void {
    this.later('accounts', () => this.loadAccounts(), 0)
  }

  dismissNotice(id: number): void {
    this.set({ notices: this.state.notices.filter((n) => n.id !== id) })
  }

  private set(change: Partial<ChatState>): void {
    this.state = { ...this.state, ...change }
    for (const listener of this.listeners) listener()
  }

  private later(key: string, run: () => Promise<void> | void, delay = RELOAD_DELAY_MS): void {
    if (this.timers.has(key)) return
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key)
        void run()
      }, delay),
    )
  }

  private async loadAccounts(): Promise<void> {
    try {
      const accounts = await call('chat.accounts', {})
      const contacts = new Map(this.state.contacts)
      for (const id of contacts.keys()) if (!accounts.some((a) => a.id === id)) contacts.delete(id)
      this.set({ accounts, contacts, loaded: true, error: null })
      for (const account of accounts)
        if (!this.state.contacts.has(account.id)) void this.loadContacts(account.id)
    } catch (error) {
      this.set({ error: errorMessage(error), loaded: true })
    }
  }

  private async loadChats(): Promise<void> {
    try {
      this.set({ chats: await call('chat.chats', {}) })
    } catch (error) {
      this.set({ error: errorMessage(error) })
    }
  }

  private async loadContacts(accountId: number): Promise<void> {
    try {
      const list = await call('chat.contacts', { accountId })
      const contacts = new Map(this.state.contacts)
      contacts.set(accountId, list)
      this.set({ contacts })
    } catch {
      // The account was removed meanwhile, or cannot connect: its state says so.
    }
  }

  private onState(event: EventPayloads['chat.state']): void {
    const { accountId, ...connection } = event
    const index = this.state.accounts.findIndex((a) => a.id === accountId)
    if (index === -1) {
      this.later('accounts', () => this.loadAccounts())
      return
    }
    const accounts = [...this.state.accounts]
    accounts[index] = { ...(accounts[index] as ChatAccountView), connection }
    this.set({ accounts })
    // Reconnected: the roster and presences come afresh.
    if (connection.status === 'online')
      this.later(`contacts:${accountId}`, () => this.loadContacts(accountId))
  }

  private onMessage(event: EventPayloads['chat.message']): void {
    this.later('chats', () => this.loadChats())
    if (event.direction === 'in') {
      // A message ends its sender's "typing".
      const typing = this.state.typing.get(event.chatId)
      if (typing && typing.size > 0) {
        const map = new Map(this.state.typing)
        map.delete(event.chatId)
        this.set({ typing: map })
      }
      if (event.via === 'live') void this.notify(event.chatId, event.messageId)
    }
  }

  /** Tell the user about a new message when they cannot see it: the window is not focused. */
  private async notify(chatId: number, messageId: number): Promise<void> {
    if (document.hasFocus()) return
    const now = Date.now()
    if (now - (this.lastNotified.get(chatId) ?? 0) < NOTIFY_GAP_MS) return
    this.lastNotified.set(chatId, now)
    try {
      const notice = await call('chat.notify', { messageId })
      if (!notice || notice.shown) return
      // No system notifications here (the browser build): a notice in the page, seen on return.
      const notices = [
        ...this.state.notices.filter((n) => n.chatId !== notice.chatId),
        { id: ++this.noticeId, chatId: notice.chatId, title: notice.title, body: notice.body },
      ].slice(-MAX_NOTICES)
      this.set({ notices })
    } catch {
      // A notification is a courtesy: the unread badge still shows the message.
    }
  }

  private onTyping(event: EventPayloads['chat.typing']): void {
    const map = new Map(this.state.typing)
    const senders = new Map(map.get(event.chatId) ?? [])
    if (event.state === 'composing') senders.set(event.sender, Date.now() + TYPING_LAPSE_MS)
    else senders.delete(event.sender)
    if (senders.size > 0) map.set(event.chatId, senders)
    else map.delete(event.chatId)
    this.set({ typing: map })
  }

  private sweepTyping(): void {
    const now = Date.now()
    let changed = false
    const map = new Map<number, ReadonlyMap<string, number>>()
    for (const [chatId, senders] of this.state.typing) {
      const kept = new Map([...senders].filter(([, until]) => until > now))
      if (kept.size !== senders.size) changed = true
      if (kept.size > 0) map.set(chatId, kept)
    }
    if (changed) this.set({ typing: map })
  }

  private onPresence(accountId: number, jids: string[]): void {
    const queue = this.presenceQueue.get(accountId) ?? new Set<string>()
    for (const jid of jids) queue.add(jid)
    this.presenceQueue.set(accountId, queue)
    this.later(`presence:${accountId}`, () => this.loadPresence(accountId), 200)
  }

  private async loadPresence(accountId: number): Promise<void> {
    const queue = this.presenceQueue.get(accountId)
    this.presenceQueue.delete(accountId)
    const known = new Set((this.state.contacts.get(accountId) ?? []).map((c) => c.jid))
    // Only contacts on screen matter; a flood from strangers costs nothing here.
    const jids = [...(queue ?? [])].filter((jid) => known.has(jid))
    for (let i = 0; i < jids.length; i += 5000) {
      try {
        const updates = await call('chat.presence', { accountId, jids: jids.slice(i, i + 5000) })
        const contacts = new Map(this.state.contacts)
        contacts.set(accountId, applyPresence(contacts.get(accountId) ?? [], updates))
        this.set({ contacts })
      } catch {
        return
      }
    }
  }

  private onRoom(event: EventPayloads['chat.room']): void {
    const occupants = new Map(this.state.occupants)
    occupants.set(event.chatId, event.occupants)
    const roomErrors = new Map(this.state.roomErrors)
    if (event.error) roomErrors.set(event.chatId, event.error)
    else if (event.joined) roomErrors.delete(event.chatId)
    this.set({ occupants, roomErrors })
    this.later('chats', () => this.loadChats())
  }
}

let store: ChatStore | null = null

/** The page's chat store, started on first use (after the bridge is connected). */
export function chatStore(): ChatStore {
  if (!store) {
    store = new ChatStore()
    store.start()
  }
  return store
}

export function useChatState(): ChatState {
  const s = chatStore()
  return useSyncExternalStore(s.subscribe, s.snapshot)
}
