import { useVirtualizer } from '@tanstack/react-virtual'
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import type { ChatListItem } from '../../../main/chat/store/views'
import type { AppInfo, ChatMessageItem } from '../../../main/ipc/contract'
import { call, errorMessage } from '../../api'
import { chatStore, useChatState } from '../../chat/chat-store'
import { useConversation } from '../../chat/conversation-store'
import {
  BOTTOM_SLACK_PX,
  atEnd,
  contactName,
  conversationRows,
  firstUnseen,
  followsEnd,
  showLabel,
  typingLabel,
  visibleLine,
  type Show,
} from '../../chat/view-models'
import { Empty, ErrorState, Loading } from '../States'
import { PresenceDot } from './ChatIcons'
import { Composer } from './Composer'
import { MessageBubble } from './MessageBubble'

/** Scrolled this close to the start, older messages are fetched. */
const TOP_SLACK_PX = 300

/**
 * One conversation: its messages, virtualised with their real heights
 * (a 10,000-message history has a few dozen rows in the DOM), day
 * separators, a "new messages" marker, delivery ticks, who is typing, and
 * the composer. Scrolling up fetches older messages (from the profile, then
 * the server's archive) without moving what is on screen; at the bottom it
 * follows new ones. The chat is marked read while it is on screen in a
 * focused window.
 */
export function Conversation({
  chat,
  info,
  targetMessageId,
}: {
  chat: ChatListItem
  info: AppInfo
  targetMessageId: number | null
}) {
  const state = useChatState()
  const conversation = useConversation(chat.id)
  const { messages, loadOlder } = conversation
  const scrollRef = useRef<HTMLDivElement>(null)
  // Following the end: new messages bring the view down. Set when the view reaches the bottom,
  // cleared only when it moves up (the user scrolling back). A follow that lands short of the
  // bottom (rows measured taller than estimated, on a busy machine) does not end it: the next
  // change of the list's height brings the view down again.
  const atBottom = useRef(true)
  const lastScrollTop = useRef(0)
  const [unreadFromId, setUnreadFromId] = useState<number | null | undefined>(undefined)
  const group = chat.kind === 'group'

  // The "new messages" marker stays where it was when the chat opened, though reading it marks it seen.
  useEffect(() => {
    if (unreadFromId === undefined && !conversation.loading)
      setUnreadFromId(firstUnseen(messages)?.id ?? null)
  }, [conversation.loading, messages, unreadFromId])

  const rows = useMemo(
    () => conversationRows(messages, { unreadFromId: unreadFromId ?? null }),
    [messages, unreadFromId],
  )

  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (index) => (rows[index]?.kind === 'message' ? 64 : 36),
    getItemKey: (index) => rows[index]?.key ?? index,
    overscan: 6,
    // A chat list: when older rows are put above, the row on screen keeps its place (the
    // virtualizer re-anchors on the row at the top, and corrects for each new row's measured
    // height while it is above the view); at the end it follows new messages. No timers:
    // an earlier hand-made anchor held the view for 1.5 s and lost it on a loaded machine.
    anchorTo: 'end',
    followOnAppend: true,
    scrollEndThreshold: BOTTOM_SLACK_PX,
  })

  const olderWanted = useCallback(() => {
    if (conversation.complete || conversation.loadingOlder || conversation.loading) return
    loadOlder()
  }, [conversation.complete, conversation.loadingOlder, conversation.loading, loadOlder])

  // Still near the top once a page has come (or the chat is shorter than the view): fetch
  // on. At the very top a scroll wheel moves nothing and fires no scroll event, so waiting
  // for one would leave the rest of the history out of reach.
  const firstKey = rows[0]?.key
  useEffect(() => {
    const el = scrollRef.current
    if (el && el.scrollTop < TOP_SLACK_PX) olderWanted()
  }, [firstKey, olderWanted])

  // Open at the bottom (or at the "new messages" marker); after that, a new last message
  // brings the view down when it was at the bottom or the user just sent it. Older rows
  // put above leave the last key alone, so they never move the view from here.
  const lastKey = rows[rows.length - 1]?.key
  const followedKey = useRef<string | undefined>(undefined)
  useLayoutEffect(() => {
    if (rows.length === 0 || targetMessageId !== null || followedKey.current === lastKey) return
    const first = followedKey.current === undefined
    followedKey.current = lastKey
    if (first) {
      const marker = rows.findIndex((r) => r.kind === 'unread')
      // At the marker, the view follows again once the user reaches the bottom.
      if (marker >= 0) atBottom.current = false
      virtualizer.scrollToIndex(marker >= 0 ? marker : rows.length - 1, {
        align: marker >= 0 ? 'start' : 'end',
      })
      return
    }
    if (atBottom.current) virtualizer.scrollToIndex(rows.length - 1, { align: 'end' })
  }, [lastKey, rows, targetMessageId, virtualizer])

  // Following the end while rows are measured: keep the bottom in view as the height changes.
  const totalSize = virtualizer.getTotalSize()
  useLayoutEffect(() => {
    const el = scrollRef.current
    if (!el || !atBottom.current || targetMessageId !== null || followedKey.current === undefined)
      return
    if (!atEnd({ top: el.scrollTop, scrollHeight: el.scrollHeight, clientHeight: el.clientHeight }))
      el.scrollTop = el.scrollHeight
  }, [totalSize, targetMessageId])

  // A message to show (from search): fetch back until it is loaded, then bring it into view.
  const [highlight, setHighlight] = useState<number | null>(null)
  const targetTries = useRef(0)
  useEffect(() => {
    if (targetMessageId === null || conversation.loading) return
    const index = rows.findIndex((r) => r.kind === 'message' && r.message.id === targetMessageId)
    if (index >= 0) {
      virtualizer.scrollToIndex(index, { align: 'center' })
      setHighlight(targetMessageId)
      return
    }
    if (!conversation.complete && !conversation.loadingOlder && targetTries.current++ < 40)
      loadOlder()
  }, [
    targetMessageId,
    rows,
    conversation.loading,
    conversation.complete,
    conversation.loadingOlder,
    loadOlder,
    virtualizer,
  ])

  // Read while on screen, at the bottom, in a focused window.
  const markReadIfSeen = useCallback(() => {
    if (chat.unread > 0 && atBottom.current && document.hasFocus() && !document.hidden)
      void call('chat.markRead', { chatId: chat.id })
        .then(() => chatStore().refreshChats())
        .catch(() => undefined)
  }, [chat.id, chat.unread])
  useEffect(() => {
    markReadIfSeen()
    window.addEventListener('focus', markReadIfSeen)
    return () => window.removeEventListener('focus', markReadIfSeen)
  }, [markReadIfSeen, lastKey])

  const onScroll = () => {
    const el = scrollRef.current
    if (!el) return
    const wasAtBottom = atBottom.current
    atBottom.current = followsEnd(wasAtBottom, {
      top: el.scrollTop,
      lastTop: lastScrollTop.current,
      scrollHeight: el.scrollHeight,
      clientHeight: el.clientHeight,
    })
    lastScrollTop.current = el.scrollTop
    if (atBottom.current && !wasAtBottom) markReadIfSeen()
    if (el.scrollTop < TOP_SLACK_PX) olderWanted()
  }

  const contact = useMemo(
    () => state.contacts.get(chat.accountId)?.find((c) => c.jid === chat.peer) ?? null,
    [state.contacts, chat.accountId, chat.peer],
  )
  const title = visibleLine(chat.name || (contact ? contactName(contact) : chat.peer))
  // In a group chat typers are nicknames; in a direct chat, the contact (shown by name).
  const typers = [...(state.typing.get(chat.id)?.keys() ?? [])].map((sender) =>
    group ? visibleLine(sender) : title,
  )

  return (
    <section className="pane conversation" aria-label={`Conversation with ${title}`}>
      <ConversationHeader
        chat={chat}
        title={title}
        show={contact?.show ?? null}
        status={contact?.status ?? ''}
        occupants={state.occupants.get(chat.id) ?? null}
        roomError={state.roomErrors.get(chat.id) ?? null}
      />
      {conversation.error && messages.length === 0 ? (
        <ErrorState message={conversation.error} />
      ) : conversation.loading ? (
        <Loading label="Opening the conversation…" />
      ) : messages.length === 0 && conversation.complete ? (
        <Empty title="No messages yet" detail="Say hello below." />
      ) : (
        <div
          ref={scrollRef}
          className="messages"
          tabIndex={0}
          role="log"
          aria-label="Messages"
          aria-live="polite"
          aria-relevant="additions"
          onScroll={onScroll}
        >
          {/* One line of fixed height, whatever it says: the rows below it never move. */}
          <div className="older-loading muted" aria-live="polite">
            {conversation.loadingOlder
              ? 'Loading older messages…'
              : conversation.complete && messages.length > 0
                ? 'This is the start of the conversation.'
                : ''}
          </div>
          <div style={{ height: totalSize, position: 'relative' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const row = rows[item.index]
              if (!row) return null
              return (
                <div
                  key={item.key}
                  data-index={item.index}
                  ref={virtualizer.measureElement}
                  className="conversation-row"
                  style={{
                    position: 'absolute',
                    top: 0,
                    left: 0,
                    right: 0,
                    transform: `translateY(${item.start}px)`,
                  }}
                >
                  {row.kind === 'day' ? (
                    <div className="day-separator" role="separator">
                      <span>{row.label}</span>
                    </div>
                  ) : row.kind === 'unread' ? (
                    <div className="unread-separator" role="separator">
                      <span>New messages</span>
                    </div>
                  ) : (
                    <MessageBubble
                      message={row.message as ChatMessageItem}
                      group={group}
                      showSender={row.firstOfRun}
                      highlighted={row.message.id === highlight}
                    />
                  )}
                </div>
              )
            })}
          </div>
          {conversation.error && <p className="error small-print">{conversation.error}</p>}
        </div>
      )}
      <div className="typing-indicator" aria-live="polite">
        {typingLabel(typers)}
      </div>
      <Composer chat={chat} info={info} onSent={() => (atBottom.current = true)} />
    </section>
  )
}

function ConversationHeader({
  chat,
  title,
  show,
  status,
  occupants,
  roomError,
}: {
  chat: ChatListItem
  title: string
  show: Show | null
  status: string
  occupants: string[] | null
  roomError: string | null
}) {
  const [nick, setNick] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const group = chat.kind === 'group'

  const act = async (action: () => Promise<unknown>) => {
    setError(null)
    try {
      await action()
    } catch (err) {
      setError(errorMessage(err))
    }
  }

  return (
    <header className="conversation-header">
      <div className="conversation-title">
        <h2 className="ellipsis">
          {show && <PresenceDot show={show} />} <bdi>{title}</bdi>
        </h2>
        <p className="muted small-print ellipsis">
          {group
            ? `${chat.joined ? `Group chat · you are ${visibleLine(chat.nick ?? '')}` : 'Group chat · not joined'}${occupants ? ` · ${occupants.length} here` : ''}`
            : `${visibleLine(chat.peer)}${show ? ` · ${status ? visibleLine(status) : showLabel(show)}` : ''}`}
        </p>
      </div>
      {group && (
        <div className="conversation-actions">
          {nick === null ? (
            <button
              type="button"
              className="small"
              onClick={() => setNick(chat.nick ?? '')}
              disabled={!chat.joined}
            >
              Nickname…
            </button>
          ) : (
            <form
              className="inline-form"
              onSubmit={(e) => {
                e.preventDefault()
                void act(() => call('chat.room.nick', { chatId: chat.id, nick })).then(() =>
                  setNick(null),
                )
              }}
            >
              <input
                aria-label="New nickname"
                value={nick}
                maxLength={100}
                onChange={(e) => setNick(e.target.value)}
              />
              <button type="submit" className="small">
                Change
              </button>
              <button type="button" className="small" onClick={() => setNick(null)}>
                Cancel
              </button>
            </form>
          )}
          {chat.joined ? (
            <button
              type="button"
              className="small"
              onClick={() => void act(() => call('chat.room.leave', { chatId: chat.id }))}
            >
              Leave
            </button>
          ) : (
            <button
              type="button"
              className="small"
              onClick={() =>
                void act(() =>
                  call('chat.room.join', {
                    accountId: chat.accountId,
                    room: chat.peer,
                    nick: chat.nick ?? 'me',
                  }),
                )
              }
            >
              Join again
            </button>
          )}
        </div>
      )}
      {(error ?? roomError) && (
        <p className="error small-print" role="alert">
          {error ?? roomError}
        </p>
      )}
    </header>
  )
}
