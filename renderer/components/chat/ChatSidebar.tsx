import { useMemo, useState, type ReactNode } from 'react'
import type { ChatListItem } from '../../../main/chat/store/views'
import type { ChatAccountView, ContactView } from '../../../main/ipc/contract'
import { call, errorMessage } from '../../api'
import type { ChatState } from '../../chat/chat-store'
import {
  connectionLabel,
  contactName,
  initials,
  showLabel,
  sortContacts,
  typingLabel,
  visibleLine,
  type Show,
} from '../../chat/view-models'
import { formatDate } from '../../format'
import { Badge, PresenceDot } from './ChatIcons'
import { KeyedList } from './KeyedList'

export type SidebarTab = 'chats' | 'contacts'

/**
 * The chat view's left pane: accounts with their connection state,
 * subscription requests to answer, and the conversations or the contacts
 * (with presence), both virtualised.
 */
export function ChatSidebar({
  state,
  selectedChatId,
  tab,
  onTab,
  onOpenChat,
  onAccount,
  onAddAccount,
  onNewChat,
  onJoinRoom,
  searchBox,
  results,
}: {
  state: ChatState
  selectedChatId: number | null
  tab: SidebarTab
  onTab: (tab: SidebarTab) => void
  onOpenChat: (chatId: number) => void
  onAccount: (accountId: number) => void
  onAddAccount: () => void
  onNewChat: () => void
  onJoinRoom: () => void
  searchBox: ReactNode
  /** Search results, shown instead of the conversations while searching. */
  results: ReactNode
}) {
  const [activeChat, setActiveChat] = useState<string | null>(null)
  const [activeContact, setActiveContact] = useState<string | null>(null)
  const [answerError, setAnswerError] = useState<string | null>(null)
  const requests = useMemo(
    () => [...state.contacts.values()].flat().filter((c) => c.incomingRequest),
    [state.contacts],
  )
  const contacts = useMemo(
    () => sortContacts([...state.contacts.values()].flat().filter((c) => c.inRoster)),
    [state.contacts],
  )
  const presenceOf = useMemo(() => {
    const map = new Map<string, Show>()
    for (const c of contacts) map.set(`${c.accountId}:${c.jid}`, c.show)
    return map
  }, [contacts])

  const answer = async (contact: ContactView, accept: boolean) => {
    setAnswerError(null)
    try {
      await call('chat.subscription.answer', {
        accountId: contact.accountId,
        jid: contact.jid,
        accept,
      })
    } catch (error) {
      setAnswerError(errorMessage(error))
    }
  }

  const openContact = async (contact: ContactView) => {
    try {
      const chat = await call('chat.open', { accountId: contact.accountId, jid: contact.jid })
      onOpenChat(chat.id)
    } catch (error) {
      setAnswerError(errorMessage(error))
    }
  }

  return (
    <aside className="pane chat-sidebar" aria-label="Chats">
      <div className="pane-header">
        <span className="brand">Chat</span>
        <button type="button" className="small" onClick={onAddAccount}>
          Add account…
        </button>
      </div>
      <ul className="chat-accounts" aria-label="Chat accounts">
        {state.accounts.map((account) => (
          <AccountRow key={account.id} account={account} onOpen={() => onAccount(account.id)} />
        ))}
      </ul>
      <div className="chat-search">{searchBox}</div>
      {requests.length > 0 && (
        <section className="requests" aria-label="Contact requests">
          <h3>Requests</h3>
          <ul>
            {requests.map((r) => (
              <li key={`${r.accountId}:${r.jid}`}>
                <span className="ellipsis" title={visibleLine(r.jid)}>
                  <bdi>{visibleLine(r.jid)}</bdi> wants to add you
                </span>
                <span className="request-actions">
                  <button
                    type="button"
                    className="small primary"
                    onClick={() => void answer(r, true)}
                  >
                    Accept
                  </button>
                  <button type="button" className="small" onClick={() => void answer(r, false)}>
                    Refuse
                  </button>
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {answerError && (
        <p className="error small-print" role="alert">
          {answerError}
        </p>
      )}
      {results ?? (
        <>
          <div className="chat-tabs" role="tablist" aria-label="Show">
            <button
              type="button"
              role="tab"
              aria-selected={tab === 'chats'}
              className={tab === 'chats' ? 'selected' : ''}
              onClick={() => onTab('chats')}
            >
              Chats
            </button>
            <button
              type="button"
              role="tab"
              aria-selected={tab === 'contacts'}
              className={tab === 'contacts' ? 'selected' : ''}
              onClick={() => onTab('contacts')}
            >
              Contacts
            </button>
            <span className="spacer" />
            <button
              type="button"
              className="small"
              onClick={onNewChat}
              title="Start a chat or add a contact"
            >
              New…
            </button>
            <button type="button" className="small" onClick={onJoinRoom} title="Join a group chat">
              Group…
            </button>
          </div>
          {tab === 'chats' ? (
            state.chats.length === 0 ? (
              <p className="muted empty-list">No conversations yet.</p>
            ) : (
              <KeyedList
                items={state.chats}
                keyOf={(c) => String(c.id)}
                rowHeight={60}
                label="Conversations"
                idPrefix="chat-row"
                activeKey={activeChat ?? (selectedChatId === null ? null : String(selectedChatId))}
                onActiveChange={setActiveChat}
                onOpen={(c) => onOpenChat(c.id)}
                renderRow={(c) => (
                  <ChatRow
                    chat={c}
                    selected={c.id === selectedChatId}
                    show={
                      c.kind === 'direct'
                        ? (presenceOf.get(`${c.accountId}:${c.peer}`) ?? 'offline')
                        : null
                    }
                    typing={[...(state.typing.get(c.id)?.keys() ?? [])]}
                  />
                )}
              />
            )
          ) : contacts.length === 0 ? (
            <p className="muted empty-list">No contacts yet. Add one with “New…”.</p>
          ) : (
            <KeyedList
              items={contacts}
              keyOf={(c) => `${c.accountId}:${c.jid}`}
              rowHeight={48}
              label="Contacts"
              idPrefix="contact-row"
              activeKey={activeContact}
              onActiveChange={setActiveContact}
              onOpen={(c) => void openContact(c)}
              renderRow={(c) => <ContactRow contact={c} />}
            />
          )}
        </>
      )}
    </aside>
  )
}

function AccountRow({ account, onOpen }: { account: ChatAccountView; onOpen: () => void }) {
  const label = connectionLabel(account.connection)
  return (
    <li>
      <button
        type="button"
        className={`chat-account connection-${label.tone}`}
        onClick={onOpen}
        title={visibleLine(label.detail)}
      >
        <span className="connection-dot" aria-hidden="true" />
        <span className="ellipsis account-jid">
          <bdi>{visibleLine(account.jid)}</bdi>
        </span>
        <span className="account-state">{label.short}</span>
      </button>
    </li>
  )
}

function ChatRow({
  chat,
  selected,
  show,
  typing,
}: {
  chat: ChatListItem
  selected: boolean
  show: Show | null
  typing: string[]
}) {
  const name = visibleLine(chat.name || chat.peer)
  const preview =
    typing.length > 0
      ? typingLabel(typing.map(visibleLine))
      : chat.preview
        ? `${chat.previewDirection === 'out' ? 'You: ' : chat.kind === 'group' && chat.previewSender ? `${visibleLine(chat.previewSender)}: ` : ''}${visibleLine(chat.preview)}`
        : chat.kind === 'group'
          ? 'Group chat'
          : 'No messages yet'
  return (
    <div
      className={`chat-row${selected ? ' selected' : ''}${chat.unread > 0 ? ' unread' : ''}`}
      data-chat-id={chat.id}
    >
      <span className={`avatar${chat.kind === 'group' ? ' group' : ''}`} aria-hidden="true">
        {initials(name)}
      </span>
      <span className="chat-row-main">
        <span className="row-line">
          <span className="chat-row-name ellipsis">
            {show && <PresenceDot show={show} />} <bdi>{name}</bdi>
          </span>
          {chat.lastMessageAt !== null && (
            <span className="row-date">{formatDate(chat.lastMessageAt)}</span>
          )}
        </span>
        <span className="row-line">
          <span className={`chat-row-preview ellipsis${typing.length > 0 ? ' typing' : ''}`}>
            {preview}
          </span>
          <Badge count={chat.unread} label="unread" />
        </span>
      </span>
    </div>
  )
}

function ContactRow({ contact }: { contact: ContactView }) {
  const name = visibleLine(contactName(contact))
  return (
    <div className="contact-row">
      <PresenceDot show={contact.show} />
      <span className="chat-row-main">
        <span className="ellipsis">
          <bdi>{name}</bdi>
        </span>
        <span className="muted ellipsis small-print">
          {contact.status ? visibleLine(contact.status) : showLabel(contact.show)}
          {contact.ask ? ' · waiting for them to accept' : ''}
          {name !== contact.jid ? ` · ${visibleLine(contact.jid)}` : ''}
        </span>
      </span>
    </div>
  )
}
