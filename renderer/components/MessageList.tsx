import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useRef, type KeyboardEvent } from 'react'
import { isChatHit, type RowSource } from '../mail/row-source'
import { isConversation, isConversationMessage } from '../mail/thread-rows'
import { visibleLine } from '../chat/view-models'
import { formatDate, senderLabel } from '../format'
import { MESSAGE_DRAG } from './FolderTree'
import { PaperclipIcon } from './Icons'
import { Empty, ErrorState, Loading } from './States'

const COMFORTABLE_ROW_HEIGHT = 64
const COMPACT_ROW_HEIGHT = 30

/**
 * The message list, virtualised: only the rows on screen (plus a margin)
 * exist in the DOM, so a folder of 150k messages scrolls like one of 50.
 * Arrow keys, j/k, Home/End and PageUp/PageDown move the selection.
 */
export function MessageList({
  source,
  showFolder,
  emptyTitle,
  selectedId,
  checkedIds,
  density = 'comfortable',
  onSelect,
  onOpen,
  conversations,
}: {
  source: RowSource
  showFolder: boolean
  emptyTitle: string
  selectedId: number | null
  /** The bulk selection (shift/ctrl-click, select all); the selected row is always in it. */
  checkedIds?: ReadonlySet<number>
  density?: 'compact' | 'comfortable'
  onSelect: (id: number, how?: { range: boolean; toggle: boolean; index: number }) => void
  /** Enter or a double click on a row (a chat hit opens its conversation). */
  onOpen?: (id: number) => void
  /** The list shows conversations: their rows expand (Right, Enter) and collapse (Left). */
  conversations?: {
    isExpanded(threadId: number): boolean
    setExpanded(threadId: number, open: boolean): void
  }
}) {
  const ROW_HEIGHT = density === 'compact' ? COMPACT_ROW_HEIGHT : COMFORTABLE_ROW_HEIGHT
  const scrollRef = useRef<HTMLDivElement>(null)
  // The virtualizer's functions change every render by design; Cairn does not use the React Compiler.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: source.count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  })
  const items = virtualizer.getVirtualItems()
  const first = items[0]?.index ?? 0
  const last = items[items.length - 1]?.index ?? 0
  const { ensure } = source

  useEffect(() => {
    if (source.count > 0) ensure(first, last + 1)
  }, [ensure, first, last, source.count, source.key])

  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 })
  }, [source.key])

  useEffect(() => {
    virtualizer.measure()
  }, [virtualizer, density])

  const selectedIndex = (() => {
    if (selectedId === null) return -1
    for (const item of items) if (source.row(item.index)?.id === selectedId) return item.index
    return -1
  })()

  const move = (index: number) => {
    const target = Math.max(0, Math.min(source.count - 1, index))
    virtualizer.scrollToIndex(target, { align: 'auto' })
    const row = source.row(target)
    if (row) onSelect(row.id)
    else {
      ensure(target, target + 1)
      // The row arrives shortly; select it once loaded.
      setTimeout(() => {
        const loaded = source.row(target)
        if (loaded) onSelect(loaded.id)
      }, 150)
    }
  }

  /** Right or Enter opens the selected conversation, Left closes it (from any of its messages). */
  const toggleConversation = (key: string, index: number): boolean => {
    const row = source.row(index)
    if (!conversations || !row) return false
    if (isConversation(row) && row.threadId !== null && row.threadCount > 1) {
      const open = conversations.isExpanded(row.threadId)
      if ((key === 'ArrowRight' || key === 'Enter') && !open) {
        conversations.setExpanded(row.threadId, true)
        return true
      }
      if ((key === 'ArrowLeft' || key === 'Enter') && open) {
        conversations.setExpanded(row.threadId, false)
        return true
      }
      return false
    }
    if (isConversationMessage(row) && key === 'ArrowLeft') {
      for (let i = index - 1; i >= 0; i--) {
        const above = source.row(i)
        if (above && isConversation(above) && above.threadId !== null) {
          conversations.setExpanded(above.threadId, false)
          onSelect(above.id, { range: false, toggle: false, index: i })
          virtualizer.scrollToIndex(i, { align: 'auto' })
          return true
        }
      }
    }
    return false
  }

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const page = Math.max(
      1,
      Math.floor((scrollRef.current?.clientHeight ?? ROW_HEIGHT) / ROW_HEIGHT) - 1,
    )
    const from = selectedIndex >= 0 ? selectedIndex : first - 1
    const keys: Record<string, number> = {
      ArrowDown: from + 1,
      j: from + 1,
      ArrowUp: from - 1,
      k: from - 1,
      PageDown: from + page,
      PageUp: from - page,
      Home: 0,
      End: source.count - 1,
    }
    if (conversations && selectedIndex >= 0 && toggleConversation(event.key, selectedIndex)) {
      event.preventDefault()
      return
    }
    if (event.key === 'Enter' && selectedId !== null && onOpen) {
      event.preventDefault()
      onOpen(selectedId)
      return
    }
    const target = keys[event.key]
    if (target === undefined || source.count === 0) return
    event.preventDefault()
    move(target)
  }

  if (source.error) return <ErrorState message={source.error} />
  if (source.count === 0)
    return source.loading ? (
      <Loading label={source.key.startsWith('search:') ? 'Searching…' : 'Loading…'} />
    ) : (
      <Empty title={emptyTitle} />
    )

  return (
    <div
      ref={scrollRef}
      className="message-list"
      tabIndex={0}
      role="listbox"
      aria-label="Message list"
      aria-activedescendant={selectedId !== null ? `message-${selectedId}` : undefined}
      onKeyDown={onKeyDown}
    >
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {items.map((item) => {
          const row = source.row(item.index)
          return (
            <div
              key={item.key}
              className="message-row-slot"
              style={{
                position: 'absolute',
                top: 0,
                left: 0,
                right: 0,
                height: ROW_HEIGHT,
                transform: `translateY(${item.start}px)`,
              }}
            >
              {row && isChatHit(row) ? (
                <div
                  id={`message-${row.id}`}
                  role="option"
                  aria-selected={row.id === selectedId}
                  className={`message-row chat-hit${row.id === selectedId ? ' selected' : ''}`}
                  onClick={() => onSelect(row.id)}
                  onDoubleClick={() => onOpen?.(row.id)}
                >
                  <div className="row-line">
                    <span className="row-from">
                      <span className="hit-kind">Chat</span>{' '}
                      <bdi>{visibleLine(row.hit.chatName || row.hit.peer)}</bdi>
                    </span>
                    <span className="row-date">{formatDate(row.hit.sentAt)}</span>
                  </div>
                  <div className="row-line">
                    <span className="row-subject">
                      {row.hit.direction === 'out' ? 'You' : visibleLine(row.hit.sender)}
                    </span>
                  </div>
                  <div className="row-snippet">{visibleLine(row.hit.snippet)}</div>
                </div>
              ) : row ? (
                <div
                  id={`message-${row.id}`}
                  role="option"
                  aria-selected={row.id === selectedId || (checkedIds?.has(row.id) ?? false)}
                  aria-expanded={
                    conversations &&
                    isConversation(row) &&
                    row.threadId !== null &&
                    row.threadCount > 1
                      ? conversations.isExpanded(row.threadId)
                      : undefined
                  }
                  data-id={row.id}
                  className={`message-row ${density}${row.id === selectedId ? ' selected' : ''}${checkedIds?.has(row.id) ? ' checked' : ''}${row.seen ? '' : ' unread'}${isConversationMessage(row) ? ' in-conversation' : ''}`}
                  style={
                    isConversationMessage(row)
                      ? { paddingLeft: `${2 + Math.min(row.depth, 8) * 0.75}rem` }
                      : undefined
                  }
                  draggable
                  onDragStart={(event) => {
                    const ids = checkedIds?.has(row.id) ? [...checkedIds] : [row.id]
                    event.dataTransfer.setData(MESSAGE_DRAG, JSON.stringify(ids))
                    event.dataTransfer.effectAllowed = 'move'
                  }}
                  onClick={(event) =>
                    onSelect(row.id, {
                      range: event.shiftKey,
                      toggle: event.ctrlKey || event.metaKey,
                      index: item.index,
                    })
                  }
                >
                  <div className="row-line">
                    <span className="row-from">
                      {conversations && isConversation(row) && row.threadId !== null && (
                        <ConversationToggle
                          threadId={row.threadId}
                          count={row.threadCount}
                          unread={row.threadUnread}
                          open={conversations.isExpanded(row.threadId)}
                          onToggle={conversations.setExpanded}
                        />
                      )}
                      <bdi>{senderLabel(row.from)}</bdi>
                    </span>
                    <span className="row-date">{formatDate(row.date)}</span>
                  </div>
                  <div className="row-line">
                    <span className="row-subject">
                      {row.flagged && (
                        <span className="flag" aria-label="Flagged">
                          ★{' '}
                        </span>
                      )}
                      <bdi>{visibleLine(row.subject) || '(no subject)'}</bdi>
                    </span>
                    {row.hasAttachments && <PaperclipIcon label="Has attachments" />}
                  </div>
                  <div className="row-snippet">
                    {(showFolder || isConversationMessage(row)) &&
                      'folderName' in row &&
                      typeof row.folderName === 'string' && (
                        <span className="row-folder">{visibleLine(row.folderName)}</span>
                      )}
                    {visibleLine(row.snippet)}
                  </div>
                </div>
              ) : (
                <div className="message-row placeholder" aria-hidden="true" />
              )}
            </div>
          )
        })}
      </div>
    </div>
  )
}

/** A conversation's count and its expand/collapse button (a single message has only no button). */
function ConversationToggle({
  threadId,
  count,
  unread,
  open,
  onToggle,
}: {
  threadId: number
  count: number
  unread: number
  open: boolean
  onToggle: (threadId: number, open: boolean) => void
}) {
  if (count <= 1) return null
  return (
    <>
      <button
        type="button"
        className="conversation-toggle"
        aria-label={open ? 'Collapse conversation' : 'Expand conversation'}
        aria-expanded={open}
        tabIndex={-1}
        onClick={(event) => {
          event.stopPropagation()
          onToggle(threadId, !open)
        }}
      >
        {open ? '▾' : '▸'}
      </button>
      <span
        className="conversation-count"
        title={`${count} messages${unread > 0 ? `, ${unread} unread` : ''}`}
      >
        {count}
      </span>{' '}
    </>
  )
}
