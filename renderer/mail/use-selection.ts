import { useCallback, useState } from 'react'
import type { RowSource } from './row-source'

/**
 * The list's selection: the message shown in the reader (`focused`) and the
 * bulk selection around it — a click selects one, Ctrl+click adds or
 * removes one, Shift+click selects the range from the last click.
 */
export function useSelection(source: RowSource) {
  const [focused, setFocused] = useState<number | null>(null)
  const [checked, setChecked] = useState<ReadonlySet<number>>(new Set())
  const [anchor, setAnchor] = useState<number | null>(null)
  // A position to show once its row has loaded (the neighbour of messages that left the list).
  const [pendingIndex, setPendingIndex] = useState<number | null>(null)

  const select = useCallback(
    (id: number | null, how?: { range: boolean; toggle: boolean; index: number }) => {
      setPendingIndex(null)
      if (id === null) {
        setFocused(null)
        setChecked(new Set())
        return
      }
      if (how?.toggle) {
        setChecked((previous) => {
          const next = new Set(previous)
          if (focused !== null && next.size === 0) next.add(focused)
          if (next.has(id)) next.delete(id)
          else next.add(id)
          return next
        })
        setAnchor(how.index)
        setFocused(id)
        return
      }
      if (how?.range && anchor !== null) {
        const next = new Set<number>()
        const [from, to] = anchor < how.index ? [anchor, how.index] : [how.index, anchor]
        for (let i = from; i <= to; i++) {
          const row = source.row(i)
          if (row) next.add(row.id)
        }
        setChecked(next)
        setFocused(id)
        return
      }
      setChecked(new Set())
      setFocused(id)
      if (how) setAnchor(how.index)
    },
    [anchor, focused, source],
  )

  /** Every loaded row of the list (Ctrl+a). */
  const selectAll = useCallback(() => {
    const next = new Set<number>()
    for (let i = 0; i < source.count; i++) {
      const row = source.row(i)
      if (row) next.add(row.id)
    }
    setChecked(next)
  }, [source])

  /** Show the row at `index` when it arrives (rows reload after an action). */
  const selectIndexLater = useCallback((index: number) => {
    setFocused(null)
    setChecked(new Set())
    setPendingIndex(Math.max(0, index))
  }, [])

  const shown =
    focused ??
    (pendingIndex !== null
      ? (source.row(Math.min(pendingIndex, Math.max(0, source.count - 1)))?.id ?? null)
      : null)
  /** What an action applies to: the bulk selection, else the message in the reader. */
  const targets = checked.size > 0 ? [...checked] : shown !== null ? [shown] : []
  return { focused: shown, checked, targets, select, selectAll, selectIndexLater }
}

/** The position of message `id` in the list, among the loaded rows (-1 when not loaded). */
export function indexOf(source: RowSource, id: number | null): number {
  if (id === null) return -1
  // A little past the count: rows shown until fresh ones arrive may sit beyond a shrunk total.
  for (let i = 0; i < source.count + 500; i++) if (source.row(i)?.id === id) return i
  return -1
}
