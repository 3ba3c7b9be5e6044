import { useState } from 'react'
import type { ChatAttachmentItem, ChatMessageItem } from '../../../main/ipc/contract'
import { call, errorMessage } from '../../api'
import { tickOf, visibleLine, visibleText } from '../../chat/view-models'
import { formatBytes } from '../../format'
import { PaperclipIcon } from '../Icons'
import { TickIcon } from './ChatIcons'

const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' })
const fullTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' })
/** Characters fetched per "show more" of a long message. */
const MORE_CHARS = 100_000

/**
 * One message. Its text is text: React never renders it as HTML, and
 * visibleText() shows control characters as symbols and drops bidi
 * overrides. Web links open outside the app. A long message shows its
 * first 4,000 characters, the rest on request, a slice at a time.
 * Pictures are the app's own downloaded copies (never the remote address).
 */
export function MessageBubble({
  message,
  group,
  showSender,
  highlighted,
}: {
  message: ChatMessageItem
  group: boolean
  showSender: boolean
  highlighted: boolean
}) {
  const [more, setMore] = useState('')
  const [loadingMore, setLoadingMore] = useState(false)
  const [moreError, setMoreError] = useState<string | null>(null)
  const tick = tickOf(message)
  const shown = message.body.length + more.length
  const cut = message.bodyLength > shown
  // A file message's text is its address: the file row says everything.
  const onlyUrl = message.attachments.length > 0 && /^https:\/\/\S+$/.test(message.body.trim())

  const loadMore = async () => {
    setLoadingMore(true)
    setMoreError(null)
    try {
      const slice = await call('chat.text', {
        messageId: message.id,
        offset: shown,
        length: MORE_CHARS,
      })
      if (slice) setMore((m) => m + slice.text)
    } catch (error) {
      setMoreError(errorMessage(error))
    } finally {
      setLoadingMore(false)
    }
  }

  return (
    <div
      className={`bubble-row ${message.direction}${highlighted ? ' highlighted' : ''}`}
      data-message-id={message.id}
    >
      <div className={`bubble ${message.direction}${message.state === 'failed' ? ' failed' : ''}`}>
        {group && showSender && message.direction === 'in' && (
          <div className="bubble-sender" style={{ color: nickColour(message.sender) }}>
            <bdi>{visibleLine(message.sender)}</bdi>
          </div>
        )}
        {message.attachments.map((a) => (
          <Attachment key={a.id} attachment={a} />
        ))}
        {!onlyUrl && (
          <div className="bubble-text" dir="auto">
            <Linked text={visibleText(message.body + more)} />
          </div>
        )}
        {cut && (
          <div className="bubble-more">
            <span className="muted">
              {shown.toLocaleString()} of {message.bodyLength.toLocaleString()} characters shown
            </span>{' '}
            <button
              type="button"
              className="small"
              disabled={loadingMore}
              onClick={() => void loadMore()}
            >
              {loadingMore ? 'Loading…' : 'Show more'}
            </button>
            {moreError && <span className="error"> {moreError}</span>}
          </div>
        )}
        <div className="bubble-meta">
          <time
            dateTime={new Date(message.sentAt).toISOString()}
            title={fullTime.format(message.sentAt)}
          >
            {time.format(message.sentAt)}
          </time>
          {tick && <TickIcon tick={tick} />}
        </div>
        {message.state === 'failed' && message.error && (
          <div className="bubble-error" role="note">
            {visibleLine(message.error)}
          </div>
        )}
      </div>
    </div>
  )
}

/** Text with its web addresses as links (opened outside the app); everything else stays text. */
function Linked({ text }: { text: string }) {
  const parts = text.split(/(https?:\/\/[^\s<>"]{1,2000})/g)
  return (
    <>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <a key={i} href={part} target="_blank" rel="noopener noreferrer nofollow">
            {part}
          </a>
        ) : (
          part
        ),
      )}
    </>
  )
}

function Attachment({ attachment }: { attachment: ChatAttachmentItem }) {
  const [broken, setBroken] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const name = visibleLine(attachment.filename)

  const act = async (action: () => Promise<unknown>) => {
    setBusy(true)
    setError(null)
    try {
      await action()
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  const save = () =>
    act(async () => {
      const result = await call('chat.attachment.save', { attachmentId: attachment.id })
      if (result && 'downloadUrl' in result) {
        // The browser build: the page's own download of the app's copy.
        const link = document.createElement('a')
        link.href = result.downloadUrl
        link.download = attachment.filename
        link.click()
      }
    })

  if (attachment.image && attachment.viewUrl && !broken)
    return (
      <figure className="bubble-image">
        <button
          type="button"
          className="image-button"
          onClick={() => void save()}
          title={`Save ${name}`}
        >
          <img
            src={attachment.viewUrl}
            alt={name}
            loading="lazy"
            decoding="async"
            referrerPolicy="no-referrer"
            onError={() => setBroken(true)}
          />
        </button>
        <figcaption className="muted small-print">
          <bdi>{name}</bdi>
          {attachment.size !== null && ` · ${formatBytes(attachment.size)}`}
        </figcaption>
      </figure>
    )

  return (
    <div className="bubble-file">
      <PaperclipIcon />
      <span className="bubble-file-name ellipsis" title={name}>
        <bdi>{name}</bdi>
      </span>
      <span className="muted small-print">
        {attachment.size !== null ? formatBytes(attachment.size) : ''}
        {attachment.host && ` · from ${visibleLine(attachment.host)}`}
      </span>
      {attachment.state === 'stored' ? (
        <button type="button" className="small" disabled={busy} onClick={() => void save()}>
          Save…
        </button>
      ) : (
        <button
          type="button"
          className="small"
          disabled={busy}
          onClick={() =>
            void act(() => call('chat.attachment.download', { attachmentId: attachment.id }))
          }
        >
          {busy ? 'Downloading…' : attachment.state === 'failed' ? 'Try again' : 'Download'}
        </button>
      )}
      {attachment.state === 'failed' && !error && (
        <span className="error small-print">Download failed</span>
      )}
      {error && <span className="error small-print">{error}</span>}
    </div>
  )
}

/** A stable colour per nickname, so members of a group are told apart at a glance. */
function nickColour(nick: string): string {
  let hash = 0
  for (const ch of nick) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) | 0
  return `hsl(${Math.abs(hash) % 360} 55% 35%)`
}
