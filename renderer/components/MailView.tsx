import { useEffect, useRef, useState } from 'react'
import type { AccountSummary } from '../../main/ipc/contract'
import type { FolderView } from '../../main/mail/types'
import { call, on } from '../api'
import { useQuery } from '../use-query'
import { useFolderRows, useSearchRows } from '../mail/row-source'
import { FolderTree } from './FolderTree'
import { MessageList } from './MessageList'
import { Reader } from './Reader'
import { ErrorState } from './States'

/** The three panes: folders, the message list (or search results), the reader. */
export function MailView({
  accounts,
  onImport,
  onAccounts,
}: {
  accounts: AccountSummary[]
  onImport: () => void
  onAccounts: () => void
}) {
  const folderQuery = useQuery('folders', () => call('mail.folders', {}))
  const { reload: reloadFolders } = folderQuery
  const folders = folderQuery.value
  const [chosenFolder, setChosenFolder] = useState<number | null>(null)
  const [version, setVersion] = useState(0)
  const [query, setQuery] = useState('')
  const [selected, setSelected] = useState<number | null>(null)
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

  // The folder in view gets push too (the Inbox always has it).
  useEffect(() => {
    if (accounts.length > 0) void call('accounts.viewFolder', { folderId }).catch(() => undefined)
  }, [folderId, accounts.length])

  const folder = folders?.find((f) => f.id === folderId) ?? null
  const folderRows = useFolderRows(folderId, folder?.total ?? 0, version)
  const searchRows = useSearchRows(query, version)
  const searching = query.trim().length > 0
  const source = searching ? searchRows : folderRows

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
            placeholder="Search mail  ( / )"
            aria-label="Search mail"
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
        />
      </section>
      <Reader messageId={selected} />
    </div>
  )
}

function pickDefaultFolder(folders: FolderView[]): number | null {
  const inbox = folders.find((f) => f.specialUse === '\\Inbox')
  const withMail = folders.find((f) => f.total > 0)
  return (inbox ?? withMail ?? folders[0])?.id ?? null
}
