import { useEffect, useRef, useState } from 'react'
import type { AccountSummary } from '../../main/ipc/contract'
import type { FolderView } from '../../main/mail/types'
import { call, on } from '../api'
import { useQuery } from '../use-query'
import { isChatHit, useFolderRows, useSearchRows, type ChatHitRow } from '../mail/row-source'
import { ChatHitPreview } from './chat/ChatHitPreview'
import { FolderTree } from './FolderTree'
import { MessageList } from './MessageList'
import { Reader } from './Reader'
import { ErrorState } from './States'

/** A search to show in the mail view, with one of its messages selected (from the chat view's search). */
export interface MailTarget {
  query: string
  messageId: number
  nonce: number
}

/**
 * The three panes: folders (with the accounts), the message list (or search
 * results: mail and chat messages), the reader.
 */
export function MailView({
  accounts,
  onImport,
  onAccounts,
  onOpenChat,
  target,
}: {
  accounts: AccountSummary[]
  onImport: () => void
  onAccounts: () => void
  /** Open a chat message found by the search in the chat view. */
  onOpenChat?: (chatId: number, messageId: number) => void
  target?: MailTarget | null
}) {
  const folderQuery = useQuery('folders', () => call('mail.folders', {}))
  const { reload: reloadFolders } = folderQuery
  const folders = folderQuery.value
  const [chosenFolder, setChosenFolder] = useState<number | null>(null)
  const [version, setVersion] = useState(0)
  const [query, setQuery] = useState(target?.query ?? '')
  const [selected, setSelected] = useState<number | null>(target?.messageId ?? null)
  const searchRef = useRef<HTMLInputElement>(null)
  const folderId = chosenFolder ?? pickDefaultFolder(folders ?? [])

  useEffect(() => {
    const offChanged = on('mail.changed', ({ reason }) => {
      reloadFolders()
      if (reason === 'import' || reason === 'sync') setVersion((v) => v + 1)
    })
    const offCommand = on('app.command', ({ command }) => {
      if (command === 'find') searchRef.current?.focus()
    })
    const onKey = (event: KeyboardEvent) => {
      const typing =
        event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement
      if (event.key === '/' && !typing) {
        event.preventDefault()
        searchRef.current?.focus()
      }
    }
    window.addEventListener('keydown', onKey)
    return () => {
      offChanged()
      offCommand()
      window.removeEventListener('keydown', onKey)
    }
  }, [reloadFolders])

  // A new target (from the chat view's search) sets the search and the selection once.
  const [shownTarget, setShownTarget] = useState(target)
  if (target !== shownTarget) {
    setShownTarget(target)
    if (target) {
      setQuery(target.query)
      setSelected(target.messageId)
    }
  }
  // The folder in view gets push too (the Inbox always has it).
  useEffect(() => {
    if (accounts.length > 0) void call('accounts.viewFolder', { folderId }).catch(() => undefined)
  }, [folderId, accounts.length])

  const folder = folders?.find((f) => f.id === folderId) ?? null
  const folderRows = useFolderRows(folderId, folder?.total ?? 0, version)
  const searchRows = useSearchRows(query, version)
  const searching = query.trim().length > 0
  const source = searching ? searchRows : folderRows
  // A chat message selected among the results (its id is negative: see ChatHitRow).
  const chatHit = (() => {
    if (selected === null || selected >= 0 || !searching) return null
    for (let i = 0; i < searchRows.count; i++) {
      const row = searchRows.row(i)
      if (row && isChatHit(row) && row.id === selected) return row
    }
    return null
  })()
  const openChatHit = (row: ChatHitRow) => onOpenChat?.(row.hit.chatId, row.hit.messageId)

  return (
    <div className="mail-view">
      <aside className="pane folders" aria-label="Folders">
        <div className="pane-header">
          <span className="brand">Cairn</span>
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
            selectedId={searching ? null : folderId}
            onSelect={(id) => {
              setQuery('')
              setChosenFolder(id)
              setSelected(null)
            }}
          />
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
              setSelected(null)
            }}
            onKeyDown={(event) => {
              if (event.key === 'Escape') setQuery('')
            }}
          />
        </div>
        <MessageList
          source={source}
          showFolder={searching}
          emptyTitle={searching ? 'No messages match your search' : 'This folder is empty'}
          selectedId={selected}
          onSelect={setSelected}
          onOpen={(id) => {
            if (chatHit && chatHit.id === id) openChatHit(chatHit)
          }}
        />
      </section>
      {chatHit ? (
        <ChatHitPreview hit={chatHit.hit} onOpen={() => openChatHit(chatHit)} />
      ) : (
        <Reader messageId={selected !== null && selected < 0 ? null : selected} />
      )}
    </div>
  )
}

function pickDefaultFolder(folders: FolderView[]): number | null {
  const inbox = folders.find((f) => f.specialUse === '\\Inbox')
  const withMail = folders.find((f) => f.total > 0)
  return (inbox ?? withMail ?? folders[0])?.id ?? null
}
