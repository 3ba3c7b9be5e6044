import type { PresenceView } from './types.js'

type Show = PresenceView['show']

/**
 * Who is online, per contact and device, kept in memory only (presence is
 * true only while connected). Bounded: a flood of presences from one
 * contact's thousands of resources, or from thousands of JIDs, costs a
 * fixed amount of memory, and listeners hear one batched change per tick
 * instead of one event per stanza, so a flood cannot stall the UI.
 */
export class PresenceTracker {
  private readonly byJid = new Map<string, Map<string, { show: Show; status: string }>>()
  private readonly changed = new Set<string>()
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly onChange: (jids: string[]) => void,
    private readonly limits = { jids: 20_000, resourcesPerJid: 32, batchMs: 100 },
  ) {}

  update(jid: string, resource: string, presence: { show: Show; status: string } | null): void {
    let resources = this.byJid.get(jid)
    if (presence === null) {
      if (!resources?.delete(resource)) return
      if (resources.size === 0) this.byJid.delete(jid)
    } else {
      if (!resources) {
        if (this.byJid.size >= this.limits.jids) return
        resources = new Map()
        this.byJid.set(jid, resources)
      }
      if (!resources.has(resource) && resources.size >= this.limits.resourcesPerJid) return
      resources.set(resource, { show: presence.show, status: presence.status.slice(0, 500) })
    }
    this.changed.add(jid)
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.limits.batchMs)
      this.timer.unref()
    }
  }

  /** Everyone goes offline (our connection dropped without resumption). */
  clear(): void {
    for (const jid of this.byJid.keys()) this.changed.add(jid)
    this.byJid.clear()
    this.flush()
  }

  get(accountId: number, jid: string): PresenceView {
    const resources = this.byJid.get(jid)
    if (!resources || resources.size === 0)
      return { accountId, jid, show: 'offline', status: '', resources: 0 }
    const rank: Record<Show, number> = { chat: 5, online: 4, away: 3, xa: 2, dnd: 1, offline: 0 }
    let best: { show: Show; status: string } | null = null
    for (const value of resources.values())
      if (!best || rank[value.show] > rank[best.show]) best = value
    return {
      accountId,
      jid,
      show: best?.show ?? 'offline',
      status: best?.status ?? '',
      resources: resources.size,
    }
  }

  get size(): number {
    return this.byJid.size
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (this.changed.size === 0) return
    const jids = [...this.changed]
    this.changed.clear()
    this.onChange(jids)
  }
}
