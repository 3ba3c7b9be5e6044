import { useEffect } from 'react'
import { call } from '../api'
import { formatBytes } from '../format'
import { useQuery } from '../use-query'
import { ErrorState, Loading } from './States'

/** "View source": the raw message as text, as far as the host sends it. */
export function SourceDialog({ messageId, onClose }: { messageId: number; onClose: () => void }) {
  const source = useQuery(`source:${messageId}`, () => call('mail.source', { id: messageId }))
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [onClose])
  return (
    <div className="dialog-backdrop">
      <div
        className="dialog source-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="source-title"
      >
        <h2 id="source-title">Message source</h2>
        {source.error ? (
          <ErrorState message={source.error} />
        ) : !source.value ? (
          <Loading label="Reading the message…" />
        ) : (
          <>
            {source.value.truncated && (
              <p className="muted">
                The first part of a {formatBytes(source.value.size)} message is shown.
              </p>
            )}
            <pre className="source-text" aria-label="Raw message" tabIndex={0}>
              {source.value.text}
            </pre>
          </>
        )}
        <div className="dialog-actions">
          <button type="button" className="primary" onClick={onClose} autoFocus>
            Close
          </button>
        </div>
      </div>
    </div>
  )
}
