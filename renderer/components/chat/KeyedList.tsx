import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useRef, type KeyboardEvent, type ReactNode } from 'react'

/**
 * A list of equal-height rows, virtualised (only the rows on screen exist in
 * the DOM, so 20,000 contacts cost what 20 do), with the keyboard: arrows
 * and j/k move the highlight, Home/End, PageUp/PageDown, Enter opens.
 */
export function KeyedList<T>({
  items,
  keyOf,
  rowHeight,
  label,
  activeKey,
  onActiveChange,
  onOpen,
  renderRow,
  idPrefix,
}: {
  items: readonly T[]
  keyOf: (item: T) => string
  rowHeight: number
  label: string
  /** The highlighted row (keyboard focus within the list). */
  activeKey: string | null
  onActiveChange: (key: string) => void
  onOpen: (item: T) => void
  renderRow: (item: T, active: boolean) => ReactNode
  idPrefix: string
}) {
  const scrollRef = useRef<HTMLDivElement>(null)
  // The virtualizer's functions change every render by design; Cairn does not use the React Compiler.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    getItemKey: (index) => keyOf(items[index] as T),
    overscan: 10,
  })
  const activeIndex = activeKey === null ? -1 : items.findIndex((item) => keyOf(item) === activeKey)

  useEffect(() => {
    if (activeIndex >= 0) virtualizer.scrollToIndex(activeIndex, { align: 'auto' })
  }, [activeIndex, virtualizer])

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (items.length === 0) return
    const page = Math.max(
      1,
      Math.floor((scrollRef.current?.clientHeight ?? rowHeight) / rowHeight) - 1,
    )
    const from = activeIndex
    const targets: Record<string, number> = {
      ArrowDown: from + 1,
      j: from + 1,
      ArrowUp: from - 1,
      k: from - 1,
      PageDown: from + page,
      PageUp: from - page,
      Home: 0,
      End: items.length - 1,
    }
    if (event.key === 'Enter' && activeIndex >= 0) {
      event.preventDefault()
      onOpen(items[activeIndex] as T)
      return
    }
    const target = targets[event.key]
    if (target === undefined || event.altKey || event.ctrlKey || event.metaKey) return
    event.preventDefault()
    const index = Math.max(0, Math.min(items.length - 1, target))
    onActiveChange(keyOf(items[index] as T))
  }

  return (
    <div
      ref={scrollRef}
      className="keyed-list"
      role="listbox"
      tabIndex={0}
      aria-label={label}
      aria-activedescendant={activeIndex >= 0 ? `${idPrefix}-${activeIndex}` : undefined}
      onKeyDown={onKeyDown}
    >
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((row) => {
          const item = items[row.index] as T
          const active = row.index === activeIndex
          return (
            <div
              key={row.key}
              id={`${idPrefix}-${row.index}`}
              role="option"
              aria-selected={active}
              className={`keyed-row${active ? ' active' : ''}`}
              style={{
                position: 'absolute',
                top: 0,
                left: 0,
                right: 0,
                height: rowHeight,
                transform: `translateY(${row.start}px)`,
              }}
              onClick={() => {
                onActiveChange(keyOf(item))
                onOpen(item)
              }}
            >
              {renderRow(item, active)}
            </div>
          )
        })}
      </div>
    </div>
  )
}
