import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react'
import type { ChatAccountView } from '../../../main/ipc/contract'
import { call, errorMessage } from '../../api'
import { visibleLine } from '../../chat/view-models'

/** A small form in the conversation pane: one job, an error in words, Escape cancels. */
function PaneForm({
  title,
  submitLabel,
  busyLabel,
  onSubmit,
  onCancel,
  children,
  canSubmit,
}: {
  title: string
  submitLabel: string
  busyLabel: string
  onSubmit: () => Promise<void>
  onCancel: () => void
  children: ReactNode
  canSubmit: boolean
}) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const ref = useRef<HTMLFormElement>(null)
  useEffect(() => ref.current?.querySelector<HTMLElement>('input, select')?.focus(), [])
  return (
    <form
      ref={ref}
      className="chat-form"
      aria-label={title}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel()
      }}
      onSubmit={(event: FormEvent) => {
        event.preventDefault()
        setBusy(true)
        setError(null)
        onSubmit()
          .catch((err: unknown) => setError(errorMessage(err)))
          .finally(() => setBusy(false))
      }}
    >
      <h2>{title}</h2>
      {children}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy || !canSubmit}>
          {busy ? busyLabel : submitLabel}
        </button>
      </div>
    </form>
  )
}

function AccountChoice({
  accounts,
  value,
  onChange,
}: {
  accounts: ChatAccountView[]
  value: number
  onChange: (id: number) => void
}) {
  if (accounts.length < 2) return null
  return (
    <label>
      From the account
      <select value={value} onChange={(e) => onChange(Number(e.target.value))}>
        {accounts.map((a) => (
          <option key={a.id} value={a.id}>
            {visibleLine(a.jid)}
          </option>
        ))}
      </select>
    </label>
  )
}

/** Start a chat with an address; optionally add it to the contacts (which asks to see their presence). */
export function NewChatForm({
  accounts,
  onOpened,
  onCancel,
}: {
  accounts: ChatAccountView[]
  onOpened: (chatId: number) => void
  onCancel: () => void
}) {
  const [accountId, setAccountId] = useState(accounts[0]?.id ?? 0)
  const [jid, setJid] = useState('')
  const [name, setName] = useState('')
  const [addContact, setAddContact] = useState(true)
  return (
    <PaneForm
      title="New chat"
      submitLabel="Start chatting"
      busyLabel="Opening…"
      canSubmit={jid.trim().length > 2 && accountId > 0}
      onCancel={onCancel}
      onSubmit={async () => {
        const chat = await call('chat.open', { accountId, jid: jid.trim() })
        if (addContact)
          await call('chat.contact.add', {
            accountId,
            jid: chat.peer,
            ...(name.trim() ? { name: name.trim() } : {}),
          })
        onOpened(chat.id)
      }}
    >
      <AccountChoice accounts={accounts} value={accountId} onChange={setAccountId} />
      <label>
        Their chat address
        <input
          type="text"
          inputMode="email"
          spellCheck={false}
          placeholder="friend@example.org"
          value={jid}
          maxLength={3071}
          onChange={(e) => setJid(e.target.value)}
        />
      </label>
      <label className="check">
        <input
          type="checkbox"
          checked={addContact}
          onChange={(e) => setAddContact(e.target.checked)}
        />
        Add to my contacts (they are asked to share their presence)
      </label>
      {addContact && (
        <label>
          Name (optional)
          <input
            type="text"
            value={name}
            maxLength={200}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
      )}
    </PaneForm>
  )
}

/** Join a group chat (XEP-0045) under a nickname. */
export function JoinRoomForm({
  accounts,
  onJoined,
  onCancel,
}: {
  accounts: ChatAccountView[]
  onJoined: (chatId: number) => void
  onCancel: () => void
}) {
  const first = accounts[0]
  const [accountId, setAccountId] = useState(first?.id ?? 0)
  const [room, setRoom] = useState('')
  const [nick, setNick] = useState(first ? (first.jid.split('@')[0] ?? '') : '')
  return (
    <PaneForm
      title="Join a group chat"
      submitLabel="Join"
      busyLabel="Joining…"
      canSubmit={room.trim().length > 2 && nick.trim().length > 0 && accountId > 0}
      onCancel={onCancel}
      onSubmit={async () => {
        const { chatId } = await call('chat.room.join', {
          accountId,
          room: room.trim(),
          nick: nick.trim(),
        })
        onJoined(chatId)
      }}
    >
      <AccountChoice accounts={accounts} value={accountId} onChange={setAccountId} />
      <label>
        Group chat address
        <input
          type="text"
          spellCheck={false}
          placeholder="team@conference.example.org"
          value={room}
          maxLength={3071}
          onChange={(e) => setRoom(e.target.value)}
        />
      </label>
      <label>
        Your nickname there
        <input type="text" value={nick} maxLength={100} onChange={(e) => setNick(e.target.value)} />
      </label>
    </PaneForm>
  )
}
