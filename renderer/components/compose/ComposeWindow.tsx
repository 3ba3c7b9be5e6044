import { useEffect, useState } from 'react'
import { visibleLine } from '../../../common/visible-text'
import { call } from '../../api'
import { useQuery } from '../../use-query'
import { ComposePanel } from '../ComposePanel'
import { ErrorState, Loading } from '../States'

/**
 * The page of a compose window (`?compose=<draftId>`): that draft's
 * composer and nothing else. Sending or discarding closes the window; the
 * browser build, whose tabs a page may not close, says so instead.
 */
export function ComposeWindow({ draftId }: { draftId: number }) {
  const draft = useQuery(`draft:${draftId}`, () => call('compose.get', { draftId }))
  const info = useQuery('info', () => call('app.info', {}))
  const [done, setDone] = useState<string | null>(null)
  const subject = draft.value?.subject

  useEffect(() => {
    document.title = `${visibleLine(subject ?? '').trim() || 'New message'} — Cairn`
  }, [subject])

  const finish = (summary: string) => {
    setDone(summary)
    window.close()
  }

  if (done)
    return (
      <main className="compose-window compose-window-done">
        <p role="status">{done}. You can close this window.</p>
      </main>
    )
  if (draft.error && !draft.value)
    return (
      <main className="compose-window">
        <ErrorState message={draft.error} onRetry={draft.reload} />
      </main>
    )
  if (!draft.value || !info.value) return <Loading label="Opening the draft…" />
  return (
    <main className="compose-window">
      <ComposePanel
        draft={draft.value}
        holdCloseUntilSaved={info.value.capabilities.composeWindows}
        onClose={() => finish('The draft is saved')}
        onDiscarded={() => finish('The draft was discarded')}
        onSent={finish}
      />
    </main>
  )
}
