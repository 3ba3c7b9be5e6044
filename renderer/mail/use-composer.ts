import { useCallback, useState } from 'react'
import type { DraftView } from '../../main/mail/compose/compose-service'
import { call, CallError, errorMessage } from '../api'

/**
 * Where a draft is written: in a window of its own where the host has
 * windows (the desktop app: `app.openComposeWindow`, one window per
 * draft), else in the panel beside the message list (the browser build).
 */
export function useComposer(composeWindows: boolean, onError: (message: string) => void) {
  const [draft, setDraft] = useState<DraftView | null>(null)
  const open = useCallback(
    (loading: Promise<DraftView>) => {
      loading
        .then(async (opened) => {
          if (!composeWindows) return setDraft(opened)
          try {
            await call('app.openComposeWindow', { draftId: opened.id })
          } catch (error) {
            // A host without windows after all: the panel still works.
            if (error instanceof CallError && error.code === 'WINDOWS_UNAVAILABLE')
              return setDraft(opened)
            throw error
          }
        })
        .catch((error: unknown) => onError(errorMessage(error)))
    },
    [composeWindows, onError],
  )
  const close = useCallback(() => setDraft(null), [])
  return { draft, open, close }
}
