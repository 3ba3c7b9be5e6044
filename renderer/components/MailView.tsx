import { useCallback, useEffect, useRef, useState } from 'react'
import type { AccountSummary } from '../../main/ipc/contract'
import type { DraftView } from '../../main/mail/compose/compose-service'
import type { FolderView } from '../../main/mail/types'
import { call, errorMessage, on } from '../api'
import { useQuery } from '../use-query'
import {
  isChatHit,
  useFolderRows,
  useSearchRows,
  type ChatHitRow,
  type SortOrder,
} from '../mail/row-source'
import { isTyping, shortcutFor, type ShortcutAction } from '../mail/shortcuts'
import { useComposer } from '../mail/use-composer'
import { useConversationRows } from '../mail/thread-rows'
import { useOutbox } from '../mail/use-outbox'
import { indexOf, useSelection } from '../mail/use-selection'
import { ActionBar, type BarAction } from './ActionBar'
import { ChatHitPreview } from './chat/ChatHitPreview'
import { ComposePanel } from './ComposePanel'
import { FolderDialog, type FolderTask } from './FolderDialog'
import { FolderTree } from './FolderTree'
import { MessageList } from './MessageList'
import { OutboxList } from './OutboxList'
import { Reader } from './Reader'
import { SearchMore } from './SearchMore'
import { ShortcutHelp } from './ShortcutHelp'
import { SourceDialog } from './SourceDialog'
import { ErrorState } from './States'
import { UndoToast } from './UndoToast'

type Notice = { summary: string; undoable: boolean } | null

/** A search to show in the mail view, with one of its messages selected (from the chat view's search). */
export interface MailTarget {
  query: string
  messageId: number
  nonce: number
}

/**
 * The three panes: folders (with the accounts), the message list (or search
 * results: mail and chat messages), the reader or the compose panel.
 */
export function MailView({
  accounts,
  onImport,
  onAccounts,
  nativeFiles,
  composeWindows = false,
  onOpenChat,
  target,
}: {
  accounts: AccountSummary[]
  onImport: () => void
  onAccounts: () => void
  nativeFiles: boolean
  /** Drafts open in windows of their own (the desktop app), else in the panel. */
  composeWindows?: boolean
  /** Open a chat message found by the search in the chat view. */
  onOpenChat?: (chatId: number, messageId: number) => void
  target?: MailTarget | null
}) {
  const folderQuery = useQuery('folders', () => call('mail.folders', {}))
  const { reload: reloadFolders } = folderQuery
  const folders = folderQuery.value
  const [chosenFolder, setChosenFolder] = useState<number | null>(null)
  const outbox = useOutbox()
  // The Outbox replaces the message list until a folder is chosen (or a search typed).
  const [outboxOpen, setOutboxOpen] = useState(false)
  const [version, setVersion] = useState(0)
  const [query, setQuery] = useState('')
  const [sort, setSort] = useState<SortOrder>('date')
  const [density, setDensity] = useState<'compact' | 'comfortable'>('comfortable')
  const [byConversation, setByConversation] = useState(false)
  // Read state changes a conversation's row (its unread count) too.
  const [flagsVersion, setFlagsVersion] = useState(0)
  const [notice, setNotice] = useState<Notice>(null)
  const [help, setHelp] = useState(false)
  const [sourceOf, setSourceOf] = useState<number | null>(null)
  const [folderTask, setFolderTask] = useState<FolderTask | null>(null)
  const searchRef = useRef<HTMLInputElement>(null)
  const folderId = chosenFolder ?? pickDefaultFolder(folders ?? [])

  const folder = folders?.find((f) => f.id === folderId) ?? null
  const folderRows = useFolderRows(folderId, folder?.total ?? 0, version, sort)
  const searchRows = useSearchRows(query, version)
  const searching = query.trim().length > 0
  const showingOutbox = outboxOpen && !searching
  const conversations = byConversation && !searching
  const conversationRows = useConversationRows(folderId, version + flagsVersion, conversations)
  const source = searching ? searchRows : conversations ? conversationRows : folderRows
  const { targetsOf } = conversationRows
  /** The messages an action on `ids` applies to: a collapsed conversation's row means all of it. */
  const resolve = useCallback(
    (ids: number[]) => (conversations ? targetsOf(ids) : Promise.resolve(ids)),
    [conversations, targetsOf],
  )
  const selection = useSelection(source)
  const { focused, select, selectAll, selectIndexLater } = selection
  // Mail actions apply to messages only, never to chat hits among the results (negative ids).
  const targets = selection.targets.filter((id) => id > 0)
  const focusedRow = (() => {
    const index = indexOf(source, focused)
    const row = index >= 0 ? source.row(index) : undefined
    return row && !isChatHit(row) ? row : undefined
  })()

  useEffect(() => {
    const offChanged = on('mail.changed', ({ reason }) => {
      reloadFolders()
      if (reason !== 'flags') setVersion((v) => v + 1)
      else setFlagsVersion((v) => v + 1)
    })
    const offCommand = on('app.command', ({ command }) => {
      if (command === 'find') searchRef.current?.focus()
      // A clicked "not sent" notification.
      else if (command === 'open-outbox') {
        setQuery('')
        setOutboxOpen(true)
      }
    })
    return () => {
      offChanged()
      offCommand()
    }
  }, [reloadFolders])

  // A new target (from the chat view's search) sets the search and the selection once.
  const [shownTarget, setShownTarget] = useState<MailTarget | null | undefined>(null)
  if (target !== shownTarget) {
    setShownTarget(target)
    if (target) {
      setQuery(target.query)
      select(target.messageId)
    }
  }
  // The folder in view gets push too (the Inbox always has it).
  useEffect(() => {
    if (accounts.length > 0) void call('accounts.viewFolder', { folderId }).catch(() => undefined)
  }, [folderId, accounts.length])
  // A chat message selected among the results (its id is negative: see ChatHitRow).
  const chatHit = (() => {
    if (focused === null || focused >= 0 || !searching) return null
    for (let i = 0; i < searchRows.count; i++) {
      const row = searchRows.row(i)
      if (row && isChatHit(row) && row.id === focused) return row
    }
    return null
  })()
  const openChatHit = (row: ChatHitRow) => onOpenChat?.(row.hit.chatId, row.hit.messageId)

  const report = useCallback((promise: Promise<{ summary: string; undoable: boolean }>) => {
    promise
      .then((result) => setNotice({ summary: result.summary, undoable: result.undoable }))
      .catch((error: unknown) => setNotice({ summary: errorMessage(error), undoable: false }))
  }, [])

  /** After a message leaves the list, the reader moves to its neighbour (like Thunderbird). */
  const leaveList = useCallback(
    (ids: number[]) => {
      // The rows as the user sees them first (they are what "next" means to them).
      const shown = [...document.querySelectorAll<HTMLElement>('.message-row[data-id]')].map(
        (element) => Number(element.dataset.id),
      )
      const at = focused === null ? -1 : shown.indexOf(focused)
      if (at >= 0) {
        const after = shown.slice(at + 1).find((id) => !ids.includes(id))
        const before = shown
          .slice(0, at)
          .reverse()
          .find((id) => !ids.includes(id))
        const next = after ?? before
        if (next !== undefined) return select(next)
      }
      const index = indexOf(source, focused)
      let next: number | null = null
      for (let i = index + 1; i < source.count + ids.length && next === null; i++) {
        const row = source.row(i)
        if (row && !ids.includes(row.id)) next = row.id
      }
      for (let i = index - 1; i >= 0 && next === null; i--) {
        const row = source.row(i)
        if (row && !ids.includes(row.id)) next = row.id
      }
      if (next !== null) select(next)
      else selectIndexLater(index)
    },
    [focused, select, selectIndexLater, source],
  )

  const showError = useCallback((summary: string) => setNotice({ summary, undoable: false }), [])
  const composer = useComposer(composeWindows, showError)
  const { draft, open: openDraft } = composer
  const compose = useCallback(
    (kind: DraftView['kind']) => {
      if (kind !== 'new' && focused === null) return
      openDraft(
        call('compose.start', kind === 'new' ? { kind } : { kind, messageId: focused as number }),
      )
    },
    [focused, openDraft],
  )
  // A message in a Drafts folder is written further, not replied to (Edit draft, Enter, double click).
  const focusedFolder = folders?.find((f) => f.id === (focusedRow?.folderId ?? folderId))
  const focusedIsDraft = focusedRow !== undefined && focusedFolder?.specialUse === '\\Drafts'
  const editDraft = useCallback(
    (messageId: number) => openDraft(call('compose.editDraft', { messageId })),
    [openDraft],
  )

  const act = useCallback(
    (action: BarAction | ShortcutAction) => {
      const ids = targets
      switch (action) {
        case 'compose':
          return compose('new')
        case 'reply':
        case 'replyAll':
        case 'forward':
          return compose(action)
        case 'editDraft':
          if (focused !== null && focused > 0) editDraft(focused)
          return
        case 'viewSource':
          if (focused !== null) setSourceOf(focused)
          return
        case 'help':
          return setHelp(true)
        case 'search':
          return searchRef.current?.focus()
        case 'selectAll':
          return selectAll()
        case 'undo':
          return report(call('mail.undo', {}))
        case 'next':
        case 'previous': {
          const index = indexOf(source, focused) + (action === 'next' ? 1 : -1)
          const row = source.row(Math.max(0, Math.min(source.count - 1, index)))
          if (row) select(row.id, { range: false, toggle: false, index })
          return
        }
        case 'nextUnread':
        case 'previousUnread': {
          const step = action === 'nextUnread' ? 1 : -1
          for (let i = indexOf(source, focused) + step; i >= 0 && i < source.count; i += step) {
            const row = source.row(i)
            if (row && !isChatHit(row) && !row.seen)
              return select(row.id, { range: false, toggle: false, index: i })
          }
          return setNotice({ summary: 'No more unread messages', undoable: false })
        }
      }
      if (ids.length === 0) return
      switch (action) {
        case 'delete':
          leaveList(ids)
          return report(resolve(ids).then((all) => call('mail.delete', { ids: all })))
        case 'archive':
          leaveList(ids)
          return report(resolve(ids).then((all) => call('mail.archive', { ids: all })))
        case 'junk':
          leaveList(ids)
          return report(resolve(ids).then((all) => call('mail.junk', { ids: all, junk: true })))
        case 'markUnread':
          return report(
            resolve(ids).then((all) => call('mail.setFlags', { ids: all, seen: false })),
          )
        case 'markRead':
          return report(resolve(ids).then((all) => call('mail.setFlags', { ids: all, seen: true })))
        case 'star':
          return report(
            resolve(ids).then((all) =>
              call('mail.setFlags', { ids: all, flagged: !(focusedRow?.flagged ?? false) }),
            ),
          )
      }
    },
    [
      compose,
      editDraft,
      focused,
      focusedRow,
      leaveList,
      report,
      resolve,
      select,
      selectAll,
      source,
      targets,
    ],
  )

  const move = useCallback(
    (target: number, ids = targets) => {
      if (ids.length === 0) return
      if (ids.includes(focused ?? -1)) leaveList(ids)
      report(resolve(ids).then((all) => call('mail.move', { ids: all, folderId: target })))
    },
    [focused, leaveList, report, resolve, targets],
  )

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      // The list handles its own keys (j/k, arrows) when it has the focus.
      if (
        event.defaultPrevented ||
        isTyping(event.target) ||
        draft ||
        help ||
        sourceOf !== null ||
        folderTask
      )
        return
      const action = shortcutFor(event)
      if (!action) return
      event.preventDefault()
      act(action)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [act, draft, help, sourceOf, folderTask])

  return (
    <div className={`mail-view${draft ? ' composing' : ''}`}>
      <aside className="pane folders" aria-label="Folders">
        <div className="pane-header">
          <span className="brand">Cairn</span>
          <button type="button" className="small primary" onClick={() => compose('new')}>
            Write
          </button>
          <button type="button" className="small" onClick={onAccounts}>
            Accounts…
          </button>
          <button type="button" className="small" onClick={onImport}>
            Import…
          </button>
        </div>
        {folderQuery.error && !folders ? (
          <ErrorState message={folderQuery.error} onRetry={reloadFolders} />
        ) : (
          <FolderTree
            folders={folders ?? []}
            accounts={accounts}
            selectedId={searching || showingOutbox ? null : folderId}
            onSelect={(id) => {
              setQuery('')
              setOutboxOpen(false)
              setChosenFolder(id)
              select(null)
            }}
            onDropMessages={(target, ids) => move(target, ids)}
            outbox={
              outbox.items.length > 0 || showingOutbox
                ? {
                    count: outbox.items.length,
                    failed: outbox.items.some((i) => i.state === 'failed' || i.lastError !== null),
                    selected: showingOutbox,
                    onSelect: () => {
                      setQuery('')
                      setOutboxOpen(true)
                      select(null)
                    },
                  }
                : undefined
            }
          />
        )}
        {folder && !searching && !showingOutbox && (
          <div className="folder-actions" role="group" aria-label="Folder actions">
            <button
              type="button"
              className="small"
              onClick={() =>
                setFolderTask({ kind: 'create', accountId: folder.accountId, parent: null })
              }
            >
              New folder
            </button>
            {folder.specialUse === null && (
              <>
                <button
                  type="button"
                  className="small"
                  onClick={() => setFolderTask({ kind: 'rename', folder })}
                >
                  Rename
                </button>
                <button
                  type="button"
                  className="small"
                  onClick={() => setFolderTask({ kind: 'delete', folder })}
                >
                  Delete folder
                </button>
              </>
            )}
          </div>
        )}
      </aside>
      <section className="pane list" aria-label="Messages">
        <div className="pane-header">
          <input
            ref={searchRef}
            type="search"
            className="search"
            placeholder="Search mail and chats  ( / )"
            aria-label="Search mail and chats"
            value={query}
            onChange={(event) => {
              setQuery(event.target.value)
              select(null)
            }}
            onKeyDown={(event) => {
              if (event.key === 'Escape') setQuery('')
            }}
          />
        </div>
        {!showingOutbox && (
          <div className="list-options">
            <label>
              Sort{' '}
              <select
                aria-label="Sort by"
                value={conversations ? 'date' : sort}
                disabled={searching || conversations}
                onChange={(event) => setSort(event.target.value as SortOrder)}
              >
                <option value="date">Date</option>
                <option value="sender">Sender</option>
                <option value="subject">Subject</option>
                <option value="size">Size</option>
              </select>
            </label>
            <button
              type="button"
              className="small"
              aria-pressed={byConversation}
              disabled={searching}
              title="One row per conversation (newest first); Right or Enter opens one, Left closes it"
              onClick={() => {
                setByConversation((on) => !on)
                select(null)
              }}
            >
              Conversations
            </button>
            <button
              type="button"
              className="small"
              aria-pressed={density === 'compact'}
              onClick={() => setDensity((d) => (d === 'compact' ? 'comfortable' : 'compact'))}
            >
              {density === 'compact' ? 'Comfortable' : 'Compact'}
            </button>
            <button
              type="button"
              className="small"
              aria-label="Keyboard shortcuts"
              onClick={() => setHelp(true)}
            >
              ?
            </button>
          </div>
        )}
        {showingOutbox ? (
          <OutboxList items={outbox.items} error={outbox.error} />
        ) : (
          <MessageList
            source={source}
            showFolder={searching}
            emptyTitle={searching ? 'No messages match your search' : 'This folder is empty'}
            selectedId={focused}
            checkedIds={selection.checked}
            density={density}
            conversations={conversations ? conversationRows : undefined}
            onSelect={select}
            onOpen={(id) => {
              if (chatHit && chatHit.id === id) openChatHit(chatHit)
              else if (id === focused && focusedIsDraft) editDraft(id)
            }}
          />
        )}
        {searching && <SearchMore paging={searchRows.paging} />}
      </section>
      {draft ? (
        <ComposePanel
          key={draft.id}
          draft={draft}
          onClose={composer.close}
          onSent={(summary) => {
            composer.close()
            setNotice({ summary, undoable: false })
          }}
        />
      ) : chatHit ? (
        <ChatHitPreview hit={chatHit.hit} onOpen={() => openChatHit(chatHit)} />
      ) : (
        <Reader
          messageId={focused !== null && focused < 0 ? null : focused}
          nativeFiles={nativeFiles}
          onViewSource={setSourceOf}
          toolbar={
            <ActionBar
              count={targets.length}
              flagged={focusedRow?.flagged ?? false}
              seen={focusedRow?.seen ?? true}
              draft={focusedIsDraft}
              folders={folders ?? []}
              currentFolderId={searching ? (focusedRow?.folderId ?? null) : folderId}
              onAction={act}
              onMove={(target) => move(target)}
            />
          }
        />
      )}
      {notice && (
        <UndoToast
          summary={notice.summary}
          undoable={notice.undoable}
          onUndo={() => {
            setNotice(null)
            act('undo')
          }}
          onDismiss={() => setNotice(null)}
        />
      )}
      {help && <ShortcutHelp onClose={() => setHelp(false)} />}
      {folderTask && (
        <FolderDialog
          task={folderTask}
          onClose={() => {
            if (folderTask.kind === 'delete') setChosenFolder(null)
            setFolderTask(null)
          }}
        />
      )}
      {sourceOf !== null && <SourceDialog messageId={sourceOf} onClose={() => setSourceOf(null)} />}
    </div>
  )
}

function pickDefaultFolder(folders: FolderView[]): number | null {
  const inbox = folders.find((f) => f.specialUse === '\\Inbox')
  const withMail = folders.find((f) => f.total > 0)
  return (inbox ?? withMail ?? folders[0])?.id ?? null
}
