/** What the last action did, with its Undo (also the z key). */
export function UndoToast({
  summary,
  undoable,
  onUndo,
  onDismiss,
}: {
  summary: string
  undoable: boolean
  onUndo: () => void
  onDismiss: () => void
}) {
  return (
    <div className="toast" role="status" aria-live="polite">
      <span>{summary}</span>
      {undoable && (
        <button type="button" className="small" onClick={onUndo}>
          Undo
        </button>
      )}
      <button type="button" className="small" aria-label="Dismiss" onClick={onDismiss}>
        ×
      </button>
    </div>
  )
}
