import Image from '@tiptap/extension-image'
import { EditorContent, useEditor } from '@tiptap/react'
import StarterKit from '@tiptap/starter-kit'
import DOMPurify from 'dompurify'
import { useEffect, useId, useRef, useState } from 'react'
import type { DraftView } from '../../main/mail/compose/compose-service'
import type { ContactSuggestion } from '../../main/mail/types'
import { call, errorMessage } from '../api'
import { formatAddressList, parseAddressList } from '../mail/addresses'
import { uploadToDraft } from '../mail/upload'
import { formatBytes } from '../format'

/** How long after the last keystroke the draft is saved (the host copies it to Drafts later). */
const SAVE_DELAY_MS = 700

/**
 * Writing a message: a panel beside the reader (the browser build; the app
 * opens the same component in its own window). The editor is TipTap; the
 * draft's HTML — a quoted message included — goes through DOMPurify before
 * the editor sees it, and the editor keeps only what its schema knows.
 */
export function ComposePanel({
  draft: initial,
  onClose,
  onSent,
  onDiscarded,
  holdCloseUntilSaved = false,
}: {
  draft: DraftView
  onClose: () => void
  onSent: (summary: string) => void
  /** After Discard (else onClose). */
  onDiscarded?: () => void
  /**
   * The panel is a desktop compose window: closing it waits for the last
   * edit to be saved, then closes it (a page elsewhere only sends the save).
   */
  holdCloseUntilSaved?: boolean
}) {
  const [draft, setDraft] = useState(initial)
  const [to, setTo] = useState(formatAddressList(initial.to))
  const [cc, setCc] = useState(formatAddressList(initial.cc))
  const [bcc, setBcc] = useState(formatAddressList(initial.bcc))
  const [showBcc, setShowBcc] = useState(initial.bcc.length > 0 || initial.cc.length > 0)
  const [subject, setSubject] = useState(initial.subject)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [suggestions, setSuggestions] = useState<ContactSuggestion[]>([])
  const [dragging, setDragging] = useState(false)
  const listId = useId()
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const pending = useRef<Parameters<typeof save>[0]>({})
  const fileRef = useRef<HTMLInputElement>(null)
  const saving = useRef<Promise<void> | null>(null)

  const editor = useEditor({
    extensions: [StarterKit, Image.configure({ allowBase64: true, inline: true })],
    content: DOMPurify.sanitize(initial.html),
    // The app's CSP allows no injected <style> it did not ship (styles.css has the editor's).
    injectCSS: false,
    onUpdate: ({ editor: e }) => schedule({ html: e.getHTML() }),
  })

  async function save(patch: {
    to?: string
    cc?: string
    bcc?: string
    subject?: string
    html?: string
  }) {
    const saved = await call('compose.save', {
      draftId: draft.id,
      ...(patch.to !== undefined ? { to: parseAddressList(patch.to) } : {}),
      ...(patch.cc !== undefined ? { cc: parseAddressList(patch.cc) } : {}),
      ...(patch.bcc !== undefined ? { bcc: parseAddressList(patch.bcc) } : {}),
      ...(patch.subject !== undefined ? { subject: patch.subject } : {}),
      ...(patch.html !== undefined ? { html: patch.html } : {}),
    })
    setDraft(saved)
  }

  const flush = async () => {
    if (timer.current) clearTimeout(timer.current)
    timer.current = null
    const patch = pending.current
    pending.current = {}
    if (Object.keys(patch).length === 0) return saving.current ?? undefined
    const work = save(patch).finally(() => {
      if (saving.current === work) saving.current = null
    })
    saving.current = work
    await work
  }
  const flushRef = useRef(flush)
  useEffect(() => {
    flushRef.current = flush
  })

  // Leaving the page (closing the compose window, reloading) saves the last edit first.
  useEffect(() => {
    let saved = false
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      const unsaved = Object.keys(pending.current).length > 0 || saving.current !== null
      if (!unsaved || saved) return
      const done = flushRef.current().catch(() => undefined)
      if (!holdCloseUntilSaved) return
      // Held open (the desktop app closes without asking) until the save is in, then closed.
      event.preventDefault()
      void done.then(() => {
        saved = true
        window.close()
      })
    }
    window.addEventListener('beforeunload', onBeforeUnload)
    return () => window.removeEventListener('beforeunload', onBeforeUnload)
  }, [holdCloseUntilSaved])

  function schedule(patch: Parameters<typeof save>[0]) {
    pending.current = { ...pending.current, ...patch }
    if (timer.current) clearTimeout(timer.current)
    timer.current = setTimeout(() => {
      void flush().catch((e: unknown) => setError(errorMessage(e)))
    }, SAVE_DELAY_MS)
  }

  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current)
    },
    [],
  )

  const suggest = (text: string) => {
    const last = text.split(',').pop()?.trim() ?? ''
    if (last.length < 1) return setSuggestions([])
    void call('mail.contacts', { prefix: last, limit: 8 })
      .then(setSuggestions)
      .catch(() => setSuggestions([]))
  }

  const attach = async (files: File[]) => {
    setError(null)
    try {
      await flush()
      for (const file of files) setDraft(await uploadToDraft(draft.id, file))
    } catch (e) {
      setError(errorMessage(e))
    }
  }

  const send = async () => {
    setBusy(true)
    setError(null)
    try {
      pending.current = { ...pending.current, to, cc, bcc, subject, html: editor?.getHTML() }
      await flush()
      await call('compose.send', { draftId: draft.id })
      onSent('Message queued in the outbox')
    } catch (e) {
      setError(errorMessage(e))
      setBusy(false)
    }
  }

  const discard = async () => {
    if (timer.current) clearTimeout(timer.current)
    pending.current = {}
    await call('compose.discard', { draftId: draft.id }).catch(() => undefined)
    ;(onDiscarded ?? onClose)()
  }

  const field = (
    label: string,
    value: string,
    set: (v: string) => void,
    key: 'to' | 'cc' | 'bcc',
  ) => (
    <label className="compose-field">
      <span>{label}</span>
      <input
        type="text"
        list={listId}
        value={value}
        autoComplete="off"
        spellCheck={false}
        onChange={(event) => {
          set(event.target.value)
          suggest(event.target.value)
          schedule({ [key]: event.target.value })
        }}
      />
    </label>
  )

  return (
    <section
      className={`pane compose${dragging ? ' dragging' : ''}`}
      aria-label="Compose"
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.stopPropagation()
          void flush().finally(onClose)
        }
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) void send()
      }}
      onDragOver={(event) => {
        if (event.dataTransfer.types.includes('Files')) {
          event.preventDefault()
          setDragging(true)
        }
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(event) => {
        if (event.dataTransfer.files.length === 0) return
        event.preventDefault()
        setDragging(false)
        void attach(Array.from(event.dataTransfer.files))
      }}
    >
      <div className="pane-header">
        <strong>{headline(draft.kind)}</strong>
        <span className="muted compose-saved" aria-live="polite">
          {draft.uploadError ?? 'Saved'}
        </span>
      </div>
      <div className="compose-fields">
        {field('To', to, setTo, 'to')}
        {showBcc ? (
          <>
            {field('Cc', cc, setCc, 'cc')}
            {field('Bcc', bcc, setBcc, 'bcc')}
          </>
        ) : (
          <button type="button" className="small link" onClick={() => setShowBcc(true)}>
            Cc / Bcc
          </button>
        )}
        <datalist id={listId}>
          {suggestions.map((s) => (
            <option
              key={s.address}
              value={formatAddressList(
                parseAddressList(to)
                  .slice(0, -1)
                  .concat([{ name: s.name, address: s.address }]),
              )}
            >
              {s.name ? `${s.name} <${s.address}>` : s.address}
            </option>
          ))}
        </datalist>
        <label className="compose-field">
          <span>Subject</span>
          <input
            type="text"
            value={subject}
            onChange={(event) => {
              setSubject(event.target.value)
              schedule({ subject: event.target.value })
            }}
          />
        </label>
      </div>
      <EditorContent editor={editor} className="compose-editor" aria-label="Message body" />
      {draft.attachments.length > 0 && (
        <ul className="attachments" aria-label="Attached files">
          {draft.attachments.map((a) => (
            <li key={a.key}>
              {a.filename} <span className="muted">({formatBytes(a.size)})</span>{' '}
              <button
                type="button"
                className="small"
                aria-label={`Remove ${a.filename}`}
                onClick={() =>
                  void call('compose.removeAttachment', { draftId: draft.id, key: a.key })
                    .then(setDraft)
                    .catch((e: unknown) => setError(errorMessage(e)))
                }
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="compose-actions">
        <button type="button" className="primary" disabled={busy} onClick={() => void send()}>
          Send
        </button>
        <button type="button" onClick={() => fileRef.current?.click()}>
          Attach…
        </button>
        <input
          ref={fileRef}
          type="file"
          multiple
          hidden
          aria-label="Attach files"
          onChange={(event) => {
            // Copied first: clearing the input empties its live FileList.
            const files = Array.from(event.target.files ?? [])
            event.target.value = ''
            if (files.length) void attach(files)
          }}
        />
        <button type="button" onClick={() => void discard()}>
          Discard
        </button>
      </div>
    </section>
  )
}

function headline(kind: DraftView['kind']): string {
  if (kind === 'reply') return 'Reply'
  if (kind === 'replyAll') return 'Reply all'
  if (kind === 'forward') return 'Forward'
  return 'New message'
}
