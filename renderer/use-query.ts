import { useCallback, useEffect, useRef, useState } from 'react'
import { errorMessage } from './api'

export interface Query<T> {
  /** The latest value; while a new key loads, the previous value (so lists do not flash empty). */
  value: T | undefined
  error: string | null
  loading: boolean
  reload(): void
}

/**
 * Load data for `key` (null: nothing to load) and keep the answer for the
 * key that asked for it; answers to keys that are no longer current are
 * dropped, so fast typing or clicking never shows stale results.
 */
export function useQuery<T>(key: string | null, load: () => Promise<T>): Query<T> {
  const loadRef = useRef(load)
  useEffect(() => {
    loadRef.current = load
  })
  const [nonce, setNonce] = useState(0)
  const [state, setState] = useState<{ key: string; value?: T; error?: string } | null>(null)
  const fullKey = key === null ? null : `${key}#${nonce}`

  useEffect(() => {
    if (fullKey === null) return
    let stale = false
    loadRef.current().then(
      (value) => !stale && setState({ key: fullKey, value }),
      (error: unknown) =>
        !stale &&
        setState((previous) => ({
          key: fullKey,
          value: previous?.value,
          error: errorMessage(error),
        })),
    )
    return () => {
      stale = true
    }
  }, [fullKey])

  const reload = useCallback(() => setNonce((n) => n + 1), [])
  const current = state !== null && state.key === fullKey
  return {
    value: fullKey === null ? undefined : state?.value,
    error: current ? (state.error ?? null) : null,
    loading: fullKey !== null && !current,
    reload,
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
