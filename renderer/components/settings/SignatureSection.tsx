import { EditorContent, useEditor } from '@tiptap/react'
import StarterKit from '@tiptap/starter-kit'
import DOMPurify from 'dompurify'
import { useState } from 'react'
import type { Identity } from '../../../main/mail/compose/compose-service'
import { call, errorMessage } from '../../api'
import { useQuery } from '../../use-query'
import { ErrorState, Loading } from '../States'

/**
 * Settings → Signatures: one signature per identity (mail account), the
 * text new messages, replies and forwards from it start with. Written in
 * the same editor as mail (plain text, or bold, italics, lists, links);
 * kept by the host (compose.setSignature), which cleans it again.
 */
export function SignatureSection() {
  const identities = useQuery('identities', () => call('compose.identities', {}))
  return (
    <section className="settings-section" data-screen="signatures" aria-labelledby="sig-title">
      <h3 id="sig-title">Signatures</h3>
      {identities.error && !identities.value ? (
        <ErrorState message={identities.error} onRetry={identities.reload} />
      ) : !identities.value ? (
        <Loading label="Loading your addresses…" />
      ) : identities.value.length === 0 ? (
        <p className="muted">Add a mail account to give its messages a signature.</p>
      ) : (
        identities.value.map((identity) => (
          <SignatureEditor key={identity.accountId} identity={identity} />
        ))
      )}
    </section>
  )
}

function SignatureEditor({ identity }: { identity: Identity }) {
  const [state, setState] = useState<'unchanged' | 'changed' | 'saving' | 'saved'>('unchanged')
  const [error, setError] = useState<string | null>(null)
  const editor = useEditor({
    extensions: [StarterKit],
    content: DOMPurify.sanitize(identity.signature ?? ''),
    // The app's CSP allows no injected <style> it did not ship (styles.css has the editor's).
    injectCSS: false,
    onUpdate: () => setState('changed'),
  })
  const label = identity.name && identity.name !== identity.email ? identity.name : identity.email

  const save = async () => {
    if (!editor) return
    setState('saving')
    setError(null)
    try {
      await call('compose.setSignature', {
        accountId: identity.accountId,
        html: editor.isEmpty ? '' : editor.getHTML(),
      })
      setState('saved')
    } catch (e) {
      setError(errorMessage(e))
      setState('changed')
    }
  }

  return (
    <div className="signature" role="group" aria-label={`Signature for ${identity.email}`}>
      <p className="signature-owner">
        <strong>{label}</strong> <span className="muted">&lt;{identity.email}&gt;</span>
      </p>
      <EditorContent
        editor={editor}
        className="compose-editor signature-editor"
        aria-label={`Signature text for ${identity.email}`}
      />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="signature-actions">
        <button
          type="button"
          disabled={state === 'saving' || state === 'unchanged' || state === 'saved'}
          onClick={() => void save()}
        >
          Save signature
        </button>
        <span className="muted" aria-live="polite">
          {state === 'saved' ? 'Saved' : state === 'saving' ? 'Saving…' : ''}
        </span>
      </div>
    </div>
  )
}
