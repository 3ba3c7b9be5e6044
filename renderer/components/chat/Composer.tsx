import { useEffect, useRef, useState, type KeyboardEvent } from 'react'
import type { ChatListItem } from '../../../main/chat/store/views'
import type { AppInfo } from '../../../main/ipc/contract'
import { call, errorMessage } from '../../api'
import { chatStore } from '../../chat/chat-store'
import { formatBytes } from '../../format'

/** Kept equal to MAX_MESSAGE_CHARS in main/ipc/services/chat.ts (the renderer imports only types). */
const MAX_MESSAGE_CHARS = 256_000
/** Bytes per chunk handed to the host (base64 of it fits the browser build's 1 MB frames). */
const CHUNK_BYTES = 512 * 1024
/** "Paused" after this long without a keystroke (XEP-0085). */
const PAUSE_AFTER_MS = 5_000

type TypingState = 'active' | 'composing' | 'paused'

/**
 * Write and send: Enter sends, Shift+Enter starts a new line, Escape goes
 * back to the list. Typing tells the contact (composing, then paused after
 * 5 s idle), once per change, never per keystroke. Files go through the
 * app's picker, or in the browser build through a file input, handed over
 * in chunks with progress.
 */
export function Composer({
  chat,
  info,
  onSent,
}: {
  chat: ChatListItem
  info: AppInfo
  onSent: () => void
}) {
  const [text, setText] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [sending, setSending] = useState<{ name: string; done: number; total: number } | null>(null)
  const fileInput = useRef<HTMLInputElement>(null)
  const area = useRef<HTMLTextAreaElement>(null)
  const typing = useRef<TypingState>('active')
  const pauseTimer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const disabled = chat.kind === 'group' && !chat.joined

  const tell = (state: TypingState) => {
    if (typing.current === state) return
    typing.current = state
    void call('chat.typing', { chatId: chat.id, state }).catch(() => undefined)
  }

  // Leaving the chat while composing: say we stopped.
  useEffect(() => {
    const state = typing
    const timer = pauseTimer
    return () => {
      if (timer.current) clearTimeout(timer.current)
      if (state.current === 'composing')
        void call('chat.typing', { chatId: chat.id, state: 'paused' }).catch(() => undefined)
    }
  }, [chat.id])

  const onChange = (value: string) => {
    setText(value)
    setError(null)
    if (pauseTimer.current) clearTimeout(pauseTimer.current)
    if (value.trim() === '') {
      tell('active')
      return
    }
    tell('composing')
    pauseTimer.current = setTimeout(() => tell('paused'), PAUSE_AFTER_MS)
  }

  const send = async () => {
    const body = text.replace(/\s+$/, '')
    if (body.trim() === '') return
    if (body.length > MAX_MESSAGE_CHARS) {
      setError(
        `This message is ${body.length.toLocaleString()} characters long; chat servers refuse messages over ${MAX_MESSAGE_CHARS.toLocaleString()}. Send it as a file instead.`,
      )
      return
    }
    try {
      if (pauseTimer.current) clearTimeout(pauseTimer.current)
      await call('chat.send', { chatId: chat.id, text: body })
      // The message itself says "active" (XEP-0085): nothing more to send.
      typing.current = 'active'
      setText('')
      onSent()
      chatStore().refreshChats()
    } catch (err) {
      setError(errorMessage(err))
    }
  }

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault()
      void send()
    } else if (event.key === 'Escape') {
      area.current?.blur()
      document.querySelector<HTMLElement>('.chat-sidebar .keyed-list')?.focus()
    }
  }

  const sendFiles = async (files: File[]) => {
    setError(null)
    for (const file of files) {
      setSending({ name: file.name, done: 0, total: file.size })
      let fileId: string | null = null
      try {
        const begun = await call('chat.file.begin', {
          name: file.name.slice(0, 1000) || 'file',
          size: file.size,
        })
        fileId = begun.fileId
        for (let offset = 0; offset < file.size; offset += CHUNK_BYTES) {
          const data = await base64Of(file.slice(offset, offset + CHUNK_BYTES))
          await call('chat.file.chunk', { fileId, offset, data })
          setSending({
            name: file.name,
            done: Math.min(file.size, offset + CHUNK_BYTES),
            total: file.size,
          })
        }
        await call('chat.file.send', { chatId: chat.id, fileId })
        fileId = null
        onSent()
      } catch (err) {
        setError(`${file.name}: ${errorMessage(err)}`)
        if (fileId) void call('chat.file.cancel', { fileId }).catch(() => undefined)
        break
      }
    }
    setSending(null)
    chatStore().refreshChats()
  }

  const pick = async () => {
    if (!info.capabilities.nativeDialogs) {
      fileInput.current?.click()
      return
    }
    setError(null)
    try {
      const picked = await call('chat.file.pick', {})
      for (const file of picked ?? []) {
        setSending({ name: file.name, done: 0, total: file.size })
        await call('chat.file.send', { chatId: chat.id, fileId: file.fileId })
        onSent()
      }
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setSending(null)
    }
  }

  return (
    <div className="composer">
      {sending && (
        <div className="composer-progress" role="status">
          Sending {sending.name}…{' '}
          {sending.total > 0 && `${formatBytes(sending.done)} of ${formatBytes(sending.total)}`}
          <progress max={Math.max(1, sending.total)} value={sending.done} />
        </div>
      )}
      {error && (
        <p className="error small-print" role="alert">
          {error}
        </p>
      )}
      <div className="composer-row">
        <button
          type="button"
          className="small"
          onClick={() => void pick()}
          disabled={disabled || sending !== null}
          aria-label="Send a file or picture"
          title="Send a file or picture"
        >
          Attach…
        </button>
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          aria-label="Files to send"
          data-testid="chat-file-input"
          onChange={(e) => {
            const files = [...(e.target.files ?? [])]
            e.target.value = ''
            if (files.length > 0) void sendFiles(files)
          }}
        />
        <textarea
          ref={area}
          className="composer-input"
          rows={2}
          aria-label="Message"
          placeholder={
            disabled
              ? 'Join the group to write'
              : 'Write a message (Enter sends, Shift+Enter: new line)'
          }
          value={text}
          disabled={disabled}
          onChange={(e) => onChange(e.target.value)}
          onKeyDown={onKeyDown}
        />
        <button
          type="button"
          className="primary"
          onClick={() => void send()}
          disabled={disabled || text.trim() === ''}
        >
          Send
        </button>
      </div>
    </div>
  )
}

/** A blob's bytes as base64 (FileReader: no large strings built by hand). */
function base64Of(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => {
      const url = String(reader.result)
      resolve(url.slice(url.indexOf(',') + 1))
    }
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read.'))
    reader.readAsDataURL(blob)
  })
}
