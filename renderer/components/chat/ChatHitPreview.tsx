import type { ChatSearchHit } from '../../../main/chat/types'
import { visibleLine, visibleText } from '../../chat/view-models'
import { formatFullDate } from '../../format'

/** A chat message found by the mail view's search: what it says, and a way into its conversation. */
export function ChatHitPreview({ hit, onOpen }: { hit: ChatSearchHit; onOpen: () => void }) {
  return (
    <article className="pane reader" aria-label="Chat message">
      <header className="reader-header">
        <h2 className="reader-subject">
          Chat with <bdi>{visibleLine(hit.chatName || hit.peer)}</bdi>
        </h2>
        <p className="reader-from">
          {hit.direction === 'out' ? 'You' : <bdi>{visibleLine(hit.sender)}</bdi>}
        </p>
        <p className="reader-date">{formatFullDate(hit.sentAt)}</p>
      </header>
      <p className="mail-text" dir="auto">
        {visibleText(hit.snippet)}
      </p>
      <div className="reader-actions">
        <button type="button" className="primary" onClick={onOpen}>
          Open the conversation
        </button>
      </div>
    </article>
  )
}
