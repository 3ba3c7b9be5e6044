import { chatStore, useChatState } from '../../chat/chat-store'

/**
 * New messages that arrived while the window was not focused, where the
 * host shows no system notification (the browser build): a notice in the
 * page, seen on return, that opens the chat.
 */
export function ChatNotices({ onOpen }: { onOpen: (chatId: number) => void }) {
  const { notices } = useChatState()
  if (notices.length === 0) return null
  return (
    <div className="chat-notices" role="region" aria-label="New messages">
      {notices.map((notice) => (
        <div key={notice.id} className="chat-notice" role="status">
          <button
            type="button"
            className="chat-notice-open"
            onClick={() => {
              chatStore().dismissNotice(notice.id)
              onOpen(notice.chatId)
            }}
          >
            <strong>
              <bdi>{notice.title}</bdi>
            </strong>
            <span className="ellipsis">{notice.body}</span>
          </button>
          <button
            type="button"
            className="small chat-notice-close"
            aria-label="Dismiss"
            onClick={() => chatStore().dismissNotice(notice.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  )
}
