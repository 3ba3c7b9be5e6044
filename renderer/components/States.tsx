export function Loading({ label }: { label: string }) {
  return (
    <div className="state" role="status" aria-live="polite">
      <div className="spinner" aria-hidden="true" />
      <p>{label}</p>
    </div>
  )
}

export function ErrorState({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <p>{message}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  )
}

export function Empty({ title, detail }: { title: string; detail?: string }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {detail && <p className="state-detail">{detail}</p>}
    </div>
  )
}
