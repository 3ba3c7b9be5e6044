import { useEffect, useRef, useState } from 'react'
import type { BackupStatus } from '../../main/ipc/contract'
import { call, errorMessage, on } from '../api'
import { BACKUP_PHASES, ProgressTracker, type ProgressView } from './progress-view'

export interface BackupStatusState {
  status: BackupStatus | null
  progress: ProgressView | null
  /** The outcome of the last run started while this window was open. */
  lastOutcome: { ok: true } | { ok: false; message: string } | null
  error: string | null
  reload(): void
}

/**
 * The backup status, kept current: loaded once, again after every change
 * (a run started or finished, settings saved, notices changed), with live
 * progress (speed and time left) while a backup runs.
 */
export function useBackupStatus(): BackupStatusState {
  const [status, setStatus] = useState<BackupStatus | null>(null)
  const [progress, setProgress] = useState<ProgressView | null>(null)
  const [lastOutcome, setLastOutcome] = useState<BackupStatusState['lastOutcome']>(null)
  const [error, setError] = useState<string | null>(null)
  const [nonce, setNonce] = useState(0)
  const tracker = useRef(new ProgressTracker(BACKUP_PHASES))

  useEffect(() => {
    let stale = false
    call('backup.status', {}).then(
      (value) => {
        if (stale) return
        setStatus(value)
        setError(null)
        if (value.running && value.progress)
          setProgress(tracker.current.push({ ...value.progress, at: performance.now() }))
        if (!value.running) setProgress(null)
      },
      (err: unknown) => !stale && setError(errorMessage(err)),
    )
    return () => {
      stale = true
    }
  }, [nonce])

  useEffect(() => {
    const reload = () => setNonce((n) => n + 1)
    const offs = [
      on('backup.started', () => {
        tracker.current.reset()
        setProgress(tracker.current.view())
        setLastOutcome(null)
        reload()
      }),
      on('backup.progress', (p) =>
        setProgress(tracker.current.push({ ...p, at: performance.now() })),
      ),
      on('backup.finished', (outcome) => {
        setProgress(null)
        setLastOutcome(outcome.ok ? { ok: true } : { ok: false, message: outcome.error.message })
        reload()
      }),
      on('backup.changed', reload),
      on('backup.notices', reload),
    ]
    // The relative times ("2 minutes ago") move on.
    const timer = setInterval(reload, 60_000)
    return () => {
      offs.forEach((off) => off())
      clearInterval(timer)
    }
  }, [])

  return { status, progress, lastOutcome, error, reload: () => setNonce((n) => n + 1) }
}
