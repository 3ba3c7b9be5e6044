import type { FolderView } from '../../main/mail/types'

export type BarAction =
  | 'reply'
  | 'replyAll'
  | 'forward'
  | 'archive'
  | 'delete'
  | 'markUnread'
  | 'markRead'
  | 'star'
  | 'junk'
  | 'viewSource'
  | 'editDraft'

/** The actions on the selected message(s), above the reader. */
export function ActionBar({
  count,
  flagged,
  seen,
  draft = false,
  folders,
  currentFolderId,
  onAction,
  onMove,
}: {
  count: number
  flagged: boolean
  seen: boolean
  /** The message is in a Drafts folder: it can be written further. */
  draft?: boolean
  folders: FolderView[]
  currentFolderId: number | null
  onAction: (action: BarAction) => void
  onMove: (folderId: number) => void
}) {
  const one = count === 1
  const button = (action: BarAction, label: string, title: string, enabled = true) => (
    <button
      type="button"
      className="small"
      title={title}
      disabled={!enabled || count === 0}
      onClick={() => onAction(action)}
    >
      {label}
    </button>
  )
  const current = folders.find((f) => f.id === currentFolderId)
  const targets = folders.filter(
    (f) => f.id !== currentFolderId && (!current || f.accountId === current.accountId),
  )
  return (
    <div className="action-bar" role="toolbar" aria-label="Message actions">
      {draft && one && (
        <button
          type="button"
          className="small primary"
          title="Edit draft (Enter)"
          onClick={() => onAction('editDraft')}
        >
          Edit draft
        </button>
      )}
      {button('reply', 'Reply', 'Reply (r)', one)}
      {button('replyAll', 'Reply all', 'Reply all (a)', one)}
      {button('forward', 'Forward', 'Forward (f)', one)}
      {button('archive', 'Archive', 'Archive (e)')}
      {button('delete', 'Delete', 'Delete (#)')}
      {seen
        ? button('markUnread', 'Mark unread', 'Mark unread (Shift+u)')
        : button('markRead', 'Mark read', 'Mark read (Shift+i)')}
      {button('star', flagged ? 'Unstar' : 'Star', 'Star (s)')}
      {button('junk', 'Junk', 'Mark as junk (!)')}
      <select
        aria-label="Move to folder"
        value=""
        disabled={count === 0}
        onChange={(event) => {
          if (event.target.value) onMove(Number(event.target.value))
        }}
      >
        <option value="">Move to…</option>
        {targets.map((f) => (
          <option key={f.id} value={f.id}>
            {f.path}
          </option>
        ))}
      </select>
      {button('viewSource', 'Source', 'View source (Ctrl+u)', one)}
      {count > 1 && <span className="muted">{count} selected</span>}
    </div>
  )
}
