import { useEffect, useState } from 'react'
import type { Address } from '../../main/mail/types'
import { call } from '../api'
import { formatBytes, formatFullDate } from '../format'
import { useQuery } from '../use-query'
import { PaperclipIcon } from './Icons'
import { Empty, ErrorState, Loading } from './States'

/**
 * The reading pane. HTML mail is shown in a sandboxed frame (no scripts, no
 * same-origin access) whose document and CSP come from the host; remote
 * content stays blocked until the user allows it for this message.
 */
export function Reader({ messageId }: { messageId: number | null }) {
  const query = useQuery(messageId === null ? null : `message:${messageId}`, () =>
    call('mail.get', { id: messageId as number }),
  )
  // Remote images are allowed per message, never carried over to the next one.
  const [remoteAllowedFor, setRemoteAllowedFor] = useState<number | null>(null)
  const message = query.loading ? undefined : query.value
  const allowRemote = message !== undefined && remoteAllowedFor === message.id

  useEffect(() => {
    if (message && !message.seen)
      void call('mail.setSeen', { id: message.id, seen: true }).catch(() => undefined)
  }, [message])

  // The host serves the mail's cleaned HTML as the frame's own document, with
  // its own CSP (remote content only in the "Show images" variant).
  const frame = message?.html ?? null

  let body
  if (messageId === null)
    body = <Empty title="No message selected" detail="Choose a message to read it here." />
  else if (query.error) body = <ErrorState message={query.error} onRetry={query.reload} />
  else if (!message) body = <Loading label="Opening message…" />
  else
    body = (
      <>
        <header className="reader-header">
          <h2 className="reader-subject">{message.subject || '(no subject)'}</h2>
          <p className="reader-from">{formatAddress(message.from)}</p>
          {message.to.length > 0 && (
            <p className="reader-to">To: {message.to.map(formatAddress).join(', ')}</p>
          )}
          {message.cc.length > 0 && (
            <p className="reader-to">Cc: {message.cc.map(formatAddress).join(', ')}</p>
          )}
          <p className="reader-date">{formatFullDate(message.date)}</p>
        </header>
        {frame?.hasRemoteContent && !allowRemote && (
          <div className="remote-banner" role="note">
            Remote images are blocked to protect your privacy.
            <button type="button" className="small" onClick={() => setRemoteAllowedFor(message.id)}>
              Show images
            </button>
          </div>
        )}
        {message.attachments.some((a) => a.disposition === 'attachment') && (
          <ul className="attachments" aria-label="Attachments">
            {message.attachments
              .filter((a) => a.disposition === 'attachment')
              .map((a) => (
                <li key={a.id}>
                  <PaperclipIcon /> {a.filename}{' '}
                  <span className="muted">({formatBytes(a.size)})</span>
                </li>
              ))}
          </ul>
        )}
        {frame ? (
          <iframe
            className="mail-frame"
            title="Message content"
            sandbox="allow-popups allow-popups-to-escape-sandbox"
            referrerPolicy="no-referrer"
            src={allowRemote ? frame.frameUrlWithRemote : frame.frameUrl}
          />
        ) : (
          <pre className="mail-text">{message.text}</pre>
        )}
      </>
    )
  return (
    <article className="pane reader" aria-label="Message">
      {body}
    </article>
  )
}

function formatAddress(address: Address): string {
  if (address.name && address.address) return `${address.name} <${address.address}>`
  return address.name || address.address || '(unknown)'
}
