import { useEffect, useRef, useState } from 'react'
import type { AppInfo } from '../../../main/ipc/contract'
import { chatStore, useChatState } from '../../chat/chat-store'
import { Empty, ErrorState, Loading } from '../States'
import { AccountPanel } from './AccountPanel'
import { AccountSetup } from './AccountSetup'
import { JoinRoomForm, NewChatForm } from './ChatForms'
import { ChatSidebar, type SidebarTab } from './ChatSidebar'
import { Conversation } from './Conversation'
import { SearchResults } from './SearchResults'

/** A chat (and a message in it) to show: from a notification, or a search hit. */
export interface ChatTarget {
  chatId: number
  messageId: number | null
  /** A new request each time, even for the same chat. */
  nonce: number
}

type Panel =
  | { kind: 'setup' }
  | { kind: 'account'; accountId: number }
  | { kind: 'new-chat' }
  | { kind: 'join' }
  | null

/**
 * Chat beside mail: accounts, contacts and conversations on the left, the
 * open conversation (or a form) on the right. Keyboard: "/" searches mail
 * and chats, Alt+Up/Alt+Down go to the previous/next conversation, Escape
 * closes a form or clears the search.
 */
export function ChatView({
  info,
  target,
  active,
  onOpenMail,
}: {
  info: AppInfo
  target: ChatTarget | null
  /** The view is on screen (keys apply only then). */
  active: boolean
  onOpenMail: (messageId: number, query: string) => void
}) {
  const state = useChatState()
  const [selected, setSelected] = useState<number | null>(target?.chatId ?? null)
  const [messageTarget, setMessageTarget] = useState<number | null>(target?.messageId ?? null)
  const [panel, setPanel] = useState<Panel>(null)
  const [tab, setTab] = useState<SidebarTab>('chats')
  const [query, setQuery] = useState('')
  const searchRef = useRef<HTMLInputElement>(null)

  // A new target (a notification, a search hit) opens its chat once.
  const [shownTarget, setShownTarget] = useState(target)
  if (target !== shownTarget) {
    setShownTarget(target)
    if (target) {
      setSelected(target.chatId)
      setMessageTarget(target.messageId)
      setPanel(null)
    }
  }

  const open = (chatId: number, messageId: number | null = null) => {
    setSelected(chatId)
    setMessageTarget(messageId)
    setPanel(null)
    chatStore().refreshChats()
  }

  useEffect(() => {
    if (!active) return
    const onKey = (event: KeyboardEvent) => {
      const typing =
        event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement
      if (event.key === '/' && !typing) {
        event.preventDefault()
        searchRef.current?.focus()
      } else if (event.altKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown')) {
        const chats = chatStore().snapshot().chats
        if (chats.length === 0) return
        event.preventDefault()
        const index = chats.findIndex((c) => c.id === selected)
        const next =
          event.key === 'ArrowDown'
            ? Math.min(chats.length - 1, index + 1)
            : Math.max(0, index === -1 ? 0 : index - 1)
        const chat = chats[next]
        if (chat) open(chat.id)
      } else if (event.key === 'Escape' && panel && !typing) {
        setPanel(null)
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [active, selected, panel])

  if (state.error && !state.loaded) return <ErrorState message={state.error} />
  if (!state.loaded) return <Loading label="Opening your chats…" />

  const chat = state.chats.find((c) => c.id === selected) ?? null
  const noAccounts = state.accounts.length === 0
  const account =
    panel?.kind === 'account' ? state.accounts.find((a) => a.id === panel.accountId) : undefined

  let main
  if (noAccounts || panel?.kind === 'setup')
    main = (
      <AccountSetup
        onAdded={() => {
          setPanel(null)
          chatStore().refreshAccounts()
        }}
        onCancel={noAccounts ? undefined : () => setPanel(null)}
      />
    )
  else if (account) main = <AccountPanel account={account} onClose={() => setPanel(null)} />
  else if (panel?.kind === 'new-chat')
    main = (
      <NewChatForm
        accounts={state.accounts}
        onOpened={(id) => open(id)}
        onCancel={() => setPanel(null)}
      />
    )
  else if (panel?.kind === 'join')
    main = (
      <JoinRoomForm
        accounts={state.accounts}
        onJoined={(id) => open(id)}
        onCancel={() => setPanel(null)}
      />
    )
  else if (chat)
    main = <Conversation key={chat.id} chat={chat} info={info} targetMessageId={messageTarget} />
  else
    main = (
      <Empty
        title="No conversation open"
        detail="Choose a chat or a contact, or start one with “New…”."
      />
    )

  const searchBox = (
    <input
      ref={searchRef}
      type="search"
      className="search"
      placeholder="Search mail and chats  ( / )"
      aria-label="Search mail and chats"
      value={query}
      onChange={(e) => setQuery(e.target.value)}
      onKeyDown={(e) => {
        if (e.key === 'Escape') setQuery('')
      }}
    />
  )

  return (
    <div className="chat-view">
      <ChatSidebar
        state={state}
        selectedChatId={selected}
        tab={tab}
        onTab={setTab}
        onOpenChat={(id) => open(id)}
        onAccount={(accountId) => setPanel({ kind: 'account', accountId })}
        onAddAccount={() => setPanel({ kind: 'setup' })}
        onNewChat={() => setPanel({ kind: 'new-chat' })}
        onJoinRoom={() => setPanel({ kind: 'join' })}
        searchBox={searchBox}
        results={
          query.trim() ? (
            <SearchResults
              query={query}
              onOpenChat={(chatId, messageId) => open(chatId, messageId)}
              onOpenMail={(messageId) => onOpenMail(messageId, query)}
            />
          ) : null
        }
      />
      <div className="chat-main">{main}</div>
    </div>
  )
}
