import type { AccountSummary } from '../../main/ipc/contract'
import type { FolderView } from '../../main/mail/types'
import { visibleLine } from '../../common/visible-text'
import { AccountStatus } from './AccountStatus'
import { Empty } from './States'

/** The drag type of messages dragged from the list (a JSON array of ids). */
export const MESSAGE_DRAG = 'application/x-cairn-messages'

interface Node {
  folder: FolderView
  children: Node[]
}

/** The Outbox entry above the accounts: what waits to be sent, and whether any of it failed. */
export interface OutboxFolder {
  count: number
  failed: boolean
  selected: boolean
  onSelect: () => void
}

/**
 * Folders as a tree per account, each with its unread and total counts, and
 * each mail account's sync state; the Outbox first, when given.
 */
export function FolderTree({
  folders,
  accounts,
  selectedId,
  onSelect,
  onDropMessages,
  outbox,
}: {
  folders: FolderView[]
  accounts: AccountSummary[]
  selectedId: number | null
  onSelect: (id: number) => void
  /** Messages dragged from the list onto a folder (MESSAGE_DRAG data: their ids). */
  onDropMessages?: (folderId: number, ids: number[]) => void
  /** Shown only while something waits to be sent (or the Outbox is open): see docs/decisions.md. */
  outbox?: OutboxFolder
}) {
  if (folders.length === 0 && accounts.length === 0) return <Empty title="No folders yet" />
  // Folders grouped by account; a mail account shows (with its state) before its folders arrive.
  const groups = new Map<number, { name: string; roots: Node[] }>()
  for (const account of accounts) groups.set(account.id, { name: account.name, roots: [] })
  const nodes = new Map<number, Node>(
    folders.map((folder) => [folder.id, { folder, children: [] }]),
  )
  for (const node of nodes.values()) {
    const parent = node.folder.parentId === null ? undefined : nodes.get(node.folder.parentId)
    if (parent) parent.children.push(node)
    else {
      const group = groups.get(node.folder.accountId) ?? {
        name: node.folder.accountName,
        roots: [],
      }
      group.roots.push(node)
      groups.set(node.folder.accountId, group)
    }
  }
  const render = (list: Node[], depth: number) =>
    list.map(({ folder, children }) => (
      <li key={folder.id}>
        <button
          type="button"
          className={`folder${folder.id === selectedId ? ' selected' : ''}${folder.unread > 0 ? ' has-unread' : ''}`}
          style={{ paddingLeft: `${0.75 + depth * 0.9}rem` }}
          aria-current={folder.id === selectedId ? 'true' : undefined}
          data-folder={folder.path}
          onClick={() => onSelect(folder.id)}
          onDragOver={(event) => {
            if (onDropMessages && event.dataTransfer.types.includes(MESSAGE_DRAG)) {
              event.preventDefault()
              event.dataTransfer.dropEffect = 'move'
            }
          }}
          onDrop={(event) => {
            const data = event.dataTransfer.getData(MESSAGE_DRAG)
            if (!onDropMessages || !data) return
            event.preventDefault()
            const ids = (JSON.parse(data) as unknown[]).filter(
              (id): id is number => typeof id === 'number',
            )
            if (ids.length) onDropMessages(folder.id, ids)
          }}
        >
          <span className="folder-name">{visibleLine(folder.name)}</span>
          <span className="folder-count" title={`${folder.unread} unread of ${folder.total}`}>
            {folder.unread > 0 ? `${folder.unread} / ${folder.total}` : folder.total}
          </span>
        </button>
        {children.length > 0 && <ul>{render(children, depth + 1)}</ul>}
      </li>
    ))
  return (
    <nav className="folder-tree">
      {outbox && (
        <ul className="outbox-folder">
          <li>
            <button
              type="button"
              className={`folder${outbox.selected ? ' selected' : ''}${outbox.failed ? ' has-failed' : ''}`}
              aria-current={outbox.selected ? 'true' : undefined}
              // Not data-folder: a server folder may well be called "Outbox".
              data-outbox=""
              onClick={outbox.onSelect}
            >
              <span className="folder-name">Outbox</span>
              <span
                className="folder-count"
                title={
                  outbox.failed
                    ? `${outbox.count} waiting to be sent; some could not be sent`
                    : `${outbox.count} waiting to be sent`
                }
              >
                {outbox.failed && <span aria-label="Some could not be sent">! </span>}
                {outbox.count}
              </span>
            </button>
          </li>
        </ul>
      )}
      {[...groups.entries()].map(([accountId, { name, roots }]) => {
        const account = accounts.find((a) => a.id === accountId)
        return (
          <div key={accountId} className="account-group">
            <h3 className="account">{name}</h3>
            {account && <AccountStatus account={account} />}
            <ul>{render(roots, 0)}</ul>
          </div>
        )
      })}
    </nav>
  )
}
