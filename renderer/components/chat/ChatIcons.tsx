import type { ReactNode } from 'react'
import { showLabel, type Show, type Tick } from '../../chat/view-models'

/** A message's delivery tick, drawn (not an emoji font), with its meaning for screen readers. */
export function TickIcon({ tick }: { tick: Tick }) {
  const paths: Record<Tick['kind'], ReactNode> = {
    queued: (
      <>
        <circle cx="8" cy="8" r="5.5" fill="none" stroke="currentColor" strokeWidth="1.3" />
        <path d="M8 5v3.2l2 1.3" fill="none" stroke="currentColor" strokeWidth="1.3" />
      </>
    ),
    sent: <path d="M3 8.5l3 3 7-7" fill="none" stroke="currentColor" strokeWidth="1.5" />,
    delivered: (
      <>
        <path d="M1 8.5l3 3 7-7" fill="none" stroke="currentColor" strokeWidth="1.5" />
        <path d="M6 11.5l7-7" fill="none" stroke="currentColor" strokeWidth="1.5" />
      </>
    ),
    read: (
      <>
        <path d="M1 8.5l3 3 7-7" fill="none" stroke="currentColor" strokeWidth="1.7" />
        <path d="M6 11.5l7-7" fill="none" stroke="currentColor" strokeWidth="1.7" />
      </>
    ),
    failed: (
      <>
        <circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" strokeWidth="1.4" />
        <path d="M8 4.5v4.5M8 10.8v.8" stroke="currentColor" strokeWidth="1.6" />
      </>
    ),
  }
  return (
    <svg
      className={`tick tick-${tick.kind}`}
      viewBox="0 0 16 16"
      width="16"
      height="16"
      role="img"
      aria-label={tick.label}
      data-tick={tick.kind}
    >
      <title>{tick.label}</title>
      {paths[tick.kind]}
    </svg>
  )
}

/** A presence dot: colour and shape both say it (not colour alone). */
export function PresenceDot({ show }: { show: Show }) {
  return (
    <span
      className={`presence presence-${show}`}
      role="img"
      aria-label={showLabel(show)}
      title={showLabel(show)}
    />
  )
}

export function Badge({ count, label }: { count: number; label: string }) {
  if (count <= 0) return null
  return (
    <span className="badge" aria-label={`${count} ${label}`}>
      {count > 99 ? '99+' : count}
    </span>
  )
}
