import { useEffect } from 'react'
import { useChatState } from '../chat/chat-store'
import { badgeText, unreadTotals } from '../chat/view-models'

export type View = 'mail' | 'chat'

/** Mail | Chat, with the chats' unread count (also in the window title). Ctrl+1 / Ctrl+2 switch. */
export function ViewSwitch({ view, onChange }: { view: View; onChange: (view: View) => void }) {
  const { chats } = useChatState()
  const unread = unreadTotals(chats).total

  useEffect(() => {
    document.title = unread > 0 ? `(${badgeText(unread)}) Cairn` : 'Cairn'
  }, [unread])

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return
      if (event.key === '1') onChange('mail')
      else if (event.key === '2') onChange('chat')
      else return
      event.preventDefault()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [onChange])

  return (
    <nav className="view-switch" aria-label="Mail or chat">
      <button
        type="button"
        aria-current={view === 'mail' ? 'page' : undefined}
        className={view === 'mail' ? 'selected' : ''}
        onClick={() => onChange('mail')}
        title="Mail (Ctrl+1)"
      >
        Mail
      </button>
      <button
        type="button"
        aria-current={view === 'chat' ? 'page' : undefined}
        className={view === 'chat' ? 'selected' : ''}
        onClick={() => onChange('chat')}
        title="Chat (Ctrl+2)"
      >
        Chat
        {unread > 0 && (
          <span className="badge" aria-label={`${unread} unread`}>
            {badgeText(unread)}
          </span>
        )}
      </button>
    </nav>
  )
}
