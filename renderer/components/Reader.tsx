import { useEffect, useState } from 'react'
import type { Address } from '../../main/mail/types'
import { call, errorMessage } from '../api'
import { visibleLine } from '../../common/visible-text'
import { formatBytes, formatFullDate, senderLabel } from '../format'
import { useQuery } from '../use-query'
import { PaperclipIcon } from './Icons'
import { Empty, ErrorState, Loading } from './States'

/**
 * The reading pane. Every body — HTML or plain text — is shown in a
 * sandboxed frame (no scripts, no same-origin access) whose document and
 * CSP come from the host, with one typography for both; remote content
 * stays blocked until the user allows it for this message.
 */
export function Reader({
  messageId,
  nativeFiles,
  onViewSource,
  toolbar,
}: {
  messageId: number | null
  /** The desktop app: attachments open with the system's application or save to a folder. */
  nativeFiles: boolean
  onViewSource: (id: number) => void
  toolbar?: React.ReactNode
}) {
  const query = useQuery(messageId === null ? null : `message:${messageId}`, () =>
    call('mail.get', { id: messageId as number }),
  )
  // Remote images are allowed per message, never carried over to the next one.
  const [remoteAllowedFor, setRemoteAllowedFor] = useState<number | null>(null)
  // A note about an attachment opened or saved, for the message it belongs to.
  const [fileNote, setFileNote] = useState<{ id: number; text: string } | null>(null)
  const message = query.loading ? undefined : query.value
  const allowRemote = message !== undefined && remoteAllowedFor === message.id

  useEffect(() => {
    if (message && !message.seen)
      void call('mail.setSeen', { id: message.id, seen: true }).catch(() => undefined)
  }, [message])

  const frame = message?.html ?? null
  const frameUrl = frame
    ? allowRemote
      ? frame.frameUrlWithRemote
      : frame.frameUrl
    : (message?.textFrameUrl ?? null)

  const fileAction = async (
    method: 'mail.attachment.open' | 'mail.attachment.save',
    id: number,
  ) => {
    if (!message) return
    try {
      const result = await call(method, { messageId: message.id, attachmentId: id })
      if (result && 'path' in result)
        setFileNote({ id: message.id, text: `Saved to ${result.path}` })
    } catch (e) {
      setFileNote({ id: message.id, text: errorMessage(e) })
    }
  }

  let body
  if (messageId === null)
    body = <Empty title="No message selected" detail="Choose a message to read it here." />
  else if (query.error) body = <ErrorState message={query.error} onRetry={query.reload} />
  else if (!message) body = <Loading label="Opening message…" />
  else
    body = (
      <>
        <header className="reader-header">
          <h2 className="reader-subject">{visibleLine(message.subject) || '(no subject)'}</h2>
          <p className="reader-from">{formatAddress(message.from)}</p>
          {message.to.length > 0 && (
            <p className="reader-to">To: {message.to.map(formatAddress).join(', ')}</p>
          )}
          {message.cc.length > 0 && (
            <p className="reader-to">Cc: {message.cc.map(formatAddress).join(', ')}</p>
          )}
          {message.date > 0 && <p className="reader-date">{formatFullDate(message.date)}</p>}
        </header>
        {(message.parseNote || message.bodyNote) && (
          <div className="remote-banner" role="note">
            {message.parseNote ?? message.bodyNote}
            {message.hasSource && (
              <button type="button" className="small" onClick={() => onViewSource(message.id)}>
                Show the raw message
              </button>
            )}
          </div>
        )}
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
                  <PaperclipIcon /> {visibleLine(a.filename)}{' '}
                  <span className="muted">({formatBytes(a.size)})</span>{' '}
                  {nativeFiles ? (
                    <>
                      <button
                        type="button"
                        className="small"
                        onClick={() => void fileAction('mail.attachment.open', a.id)}
                      >
                        Open
                      </button>{' '}
                      <button
                        type="button"
                        className="small"
                        onClick={() => void fileAction('mail.attachment.save', a.id)}
                      >
                        Save…
                      </button>
                    </>
                  ) : (
                    <a
                      className="small-link"
                      href={message.attachmentUrls[a.id]}
                      download={a.filename}
                      aria-label={`Download ${visibleLine(a.filename)}`}
                    >
                      Download
                    </a>
                  )}
                </li>
              ))}
            {fileNote?.id === message.id && <li className="muted">{fileNote.text}</li>}
          </ul>
        )}
        {frameUrl ? (
          <iframe
            className="mail-frame"
            title="Message content"
            sandbox="allow-popups allow-popups-to-escape-sandbox"
            referrerPolicy="no-referrer"
            src={frameUrl}
          />
        ) : (
          <pre className="mail-text">{message.text}</pre>
        )}
      </>
    )
  return (
    <article className="pane reader" aria-label="Message">
      {message && toolbar}
      {body}
    </article>
  )
}

function formatAddress(address: Address): string {
  if (address.name && address.address)
    return `${visibleLine(address.name)} <${visibleLine(address.address)}>`
  return senderLabel(address)
}
