import { useState } from 'react'
import type { FolderView } from '../../main/mail/types'
import { call, errorMessage } from '../api'

export type FolderTask =
  | { kind: 'create'; accountId: number; parent: FolderView | null }
  | { kind: 'rename'; folder: FolderView }
  | { kind: 'delete'; folder: FolderView }

/** Make, rename or delete a folder; the host says what is wrong with a name. */
export function FolderDialog({ task, onClose }: { task: FolderTask; onClose: () => void }) {
  const [name, setName] = useState(task.kind === 'rename' ? task.folder.name : '')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const title =
    task.kind === 'create'
      ? task.parent
        ? `New folder in ${task.parent.name}`
        : 'New folder'
      : task.kind === 'rename'
        ? `Rename ${task.folder.name}`
        : `Delete ${task.folder.name}?`

  const run = async () => {
    setBusy(true)
    setError(null)
    try {
      if (task.kind === 'create')
        await call('mail.folder.create', {
          accountId: task.accountId,
          parentId: task.parent?.id ?? null,
          name,
        })
      else if (task.kind === 'rename')
        await call('mail.folder.rename', { folderId: task.folder.id, name })
      else await call('mail.folder.delete', { folderId: task.folder.id })
      onClose()
    } catch (e) {
      setError(errorMessage(e))
      setBusy(false)
    }
  }

  return (
    <div className="dialog-backdrop">
      <form
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="folder-title"
        onSubmit={(event) => {
          event.preventDefault()
          void run()
        }}
        onKeyDown={(event) => {
          if (event.key === 'Escape') onClose()
        }}
      >
        <h2 id="folder-title">{title}</h2>
        {task.kind === 'delete' ? (
          <p>
            {task.folder.total > 0
              ? `Its ${task.folder.total.toLocaleString()} messages and its subfolders go with it (Local Folders: to Trash).`
              : 'Its subfolders go with it.'}
          </p>
        ) : (
          <label>
            Folder name
            <input
              type="text"
              value={name}
              autoFocus
              maxLength={200}
              onChange={(event) => setName(event.target.value)}
            />
          </label>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {task.kind === 'delete' ? 'Delete' : task.kind === 'rename' ? 'Rename' : 'Create'}
          </button>
        </div>
      </form>
    </div>
  )
}
