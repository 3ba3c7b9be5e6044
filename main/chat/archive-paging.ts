import type { IncomingMessage } from './protocol/incoming.js'

/**
 * The most archive pages one catch-up asks for: 2.5 million messages at
 * 250 a page. Each page's cursor is stored with it, so an archive larger
 * than that (or a server that pages forever) continues on the next
 * connection instead of holding this one in the catch-up.
 */
export const MAX_CATCH_UP_PAGES = 10_000

/**
 * The results of one archive query (XEP-0313) as they arrive, at most the
 * `max` Cairn asked for: a server or room that sends more (by mistake or
 * to fill memory) has the rest ignored. Paging forward the first `max` are
 * kept; paging backward (`before`) the last `max`, the ones nearest the
 * cursor, since results come oldest first either way (XEP-0313 §4.3).
 */
export class ArchivePageCollector {
  private kept: IncomingMessage[] = []
  private extra = 0

  constructor(
    private readonly max: number,
    private readonly direction: 'after' | 'before',
  ) {}

  add(message: IncomingMessage): void {
    if (this.direction === 'after') {
      if (this.kept.length < this.max) this.kept.push(message)
      else this.extra++
      return
    }
    this.kept.push(message)
    // Trimmed in batches (at most twice `max` held), not one shift per result.
    if (this.kept.length >= 2 * this.max) this.trim()
  }

  /** Results beyond `max` that were ignored. */
  get ignored(): number {
    return this.extra + Math.max(0, this.kept.length - this.max)
  }

  /** The results kept, oldest first. */
  messages(): IncomingMessage[] {
    this.trim()
    return this.kept
  }

  private trim(): void {
    if (this.kept.length <= this.max) return
    this.extra += this.kept.length - this.max
    this.kept = this.kept.slice(this.kept.length - this.max)
  }
}

export interface ArchivePage {
  messages: IncomingMessage[]
  complete: boolean
  first: string | null
  last: string | null
}

/**
 * The page as Cairn may continue from it. When results were ignored, the
 * page is not the archive's end whatever the server says, and paging goes
 * on from the edge of what was kept: an honest server that overfilled a
 * page sends the rest next time, a hostile one repeats itself and is
 * stopped by `CatchUpLimits`.
 */
export function pageToContinueFrom(
  page: ArchivePage,
  direction: 'after' | 'before',
  ignored: number,
): ArchivePage {
  if (ignored === 0) return page
  const kept = page.messages
  return direction === 'after'
    ? { ...page, complete: false, last: kept.at(-1)?.archiveId ?? null }
    : { ...page, complete: false, first: kept[0]?.archiveId ?? null }
}

/**
 * Bounds one catch-up's paging: at most `maxPages` queries, and never the
 * same cursor twice in a direction (a server answering `complete` never,
 * with the same `<last>` again, or with a cycle of them, would otherwise
 * page forever).
 */
export class CatchUpLimits {
  private pages = 0
  private readonly seen = new Set<string>()

  constructor(private readonly maxPages: number = MAX_CATCH_UP_PAGES) {}

  /** About to ask for the page `direction` `cursor` (null: from the start or a time). Returns why to stop instead, or null. */
  next(direction: 'after' | 'before', cursor: string | null): string | null {
    if (cursor !== null) {
      const key = `${direction} ${cursor}`
      if (this.seen.has(key))
        return `the archive gave the same position twice (${JSON.stringify(cursor.slice(0, 64))}), so it would never end`
      this.seen.add(key)
    }
    if (this.pages >= this.maxPages)
      return `it asked for ${this.maxPages} pages; the rest follows on the next connection`
    this.pages++
    return null
  }
}
