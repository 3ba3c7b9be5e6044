import type { FolderView } from '../../main/mail/types'
import { Empty } from './States'

interface Node {
  folder: FolderView
  children: Node[]
}

/** Folders as a tree per account, each with its unread and total counts. */
export function FolderTree({
  folders,
  selectedId,
  onSelect,
}: {
  folders: FolderView[]
  selectedId: number | null
  onSelect: (id: number) => void
}) {
  if (folders.length === 0) return <Empty title="No folders yet" />
  const accounts = new Map<string, Node[]>()
  const nodes = new Map<number, Node>(
    folders.map((folder) => [folder.id, { folder, children: [] }]),
  )
  for (const node of nodes.values()) {
    const parent = node.folder.parentId === null ? undefined : nodes.get(node.folder.parentId)
    if (parent) parent.children.push(node)
    else {
      const roots = accounts.get(node.folder.accountName) ?? []
      roots.push(node)
      accounts.set(node.folder.accountName, roots)
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
        >
          <span className="folder-name">{folder.name}</span>
          <span className="folder-count" title={`${folder.unread} unread of ${folder.total}`}>
            {folder.unread > 0 ? `${folder.unread} / ${folder.total}` : folder.total}
          </span>
        </button>
        {children.length > 0 && <ul>{render(children, depth + 1)}</ul>}
      </li>
    ))
  return (
    <nav className="folder-tree">
      {[...accounts.entries()].map(([account, roots]) => (
        <div key={account}>
          <h3 className="account">{account}</h3>
          <ul>{render(roots, 0)}</ul>
        </div>
      ))}
    </nav>
  )
}
