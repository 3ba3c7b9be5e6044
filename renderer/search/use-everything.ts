import { useState, useSyncExternalStore } from 'react'
import type {
  EverythingCount,
  EverythingCursor,
  EverythingHit,
} from '../../main/mail/read/search-everything'
import { call, errorMessage } from '../api'
import { delay } from '../use-query'

/** How many hits one page of the search box brings ("Show more" adds as many again). */
export const SEARCH_PAGE = 100
/** The most one call may ask for (the contract's limit): a reload of many shown pages asks in steps. */
const MOST_PER_CALL = 500

/** The search box's results so far, and how to get more. */
export interface EverythingPages {
  /** Mail and chat hits, in the order pages gave them (see search.all). */
  hits: readonly EverythingHit[]
  /** How many the query finds in all ("more than 10,000" when not exact); null until known. */
  count: EverythingCount | null
  /** What the query could not use (e.g. in: names no folder). */
  problems: readonly string[]
  /** Another page exists. */
  more: boolean
  /** This query's first page has not arrived yet (the last query's hits are shown meanwhile). */
  loading: boolean
  /** A next page is on its way. */
  loadingMore: boolean
  error: string | null
  /** Append the next page (does nothing while one loads or when there is none). */
  showMore(): void
}

interface Shown {
  hits: readonly EverythingHit[]
  count: EverythingCount | null
  problems: readonly string[]
}

const NOTHING: Shown = { hits: [], count: null, problems: [] }

/**
 * One query's pages: the first asked for once the list subscribes (after
 * a short pause in typing; a query typed over before the pause ends is
 * never asked), the next ones on "Show more". Until the first arrives, the
 * previous query's results stay on screen, so the list does not flash empty.
 */
class SearchPages {
  private shown: Shown = NOTHING
  private arrived = false
  private next: EverythingCursor | null = null
  private busy = false
  private started = false
  private error: string | null = null
  private revision = 0
  private readonly listeners = new Set<() => void>()

  constructor(
    readonly query: string,
    readonly key: string,
    /** How many hits to load before showing (the rows already shown, when the mailbox changed). */
    private readonly wanted: number,
    private readonly stale: Shown,
    private readonly pause: number,
  ) {}

  subscribe = (listener: () => void) => {
    this.listeners.add(listener)
    if (!this.started) {
      this.started = true
      void this.load()
    }
    return () => this.listeners.delete(listener)
  }

  snapshot = () => this.revision

  /** What the list shows now (the last query's results until this one's arrive). */
  current(): Shown {
    return this.arrived ? this.shown : this.stale
  }

  view(): EverythingPages {
    return {
      ...this.current(),
      more: this.arrived && this.next !== null,
      loading: !this.arrived && this.error === null,
      loadingMore: this.arrived && this.busy,
      error: this.error,
      showMore: this.showMore,
    }
  }

  private changed() {
    this.revision += 1
    for (const listener of this.listeners) listener()
  }

  private async load() {
    if (this.pause > 0) await delay(this.pause)
    // Typed over (or the list went away) during the pause: ask nothing.
    if (this.listeners.size === 0) {
      this.started = false
      return
    }
    try {
      const first = await call('search.all', {
        query: this.query,
        limit: Math.min(MOST_PER_CALL, Math.max(SEARCH_PAGE, this.wanted)),
      })
      let hits = first.hits
      let next = first.next
      while (next !== null && hits.length < this.wanted) {
        const page = await call('search.all', {
          query: this.query,
          limit: Math.min(MOST_PER_CALL, this.wanted - hits.length),
          cursor: next,
        })
        hits = [...hits, ...page.hits]
        next = page.next
      }
      this.shown = { hits, count: first.count, problems: first.problems }
      this.next = next
      this.arrived = true
    } catch (error) {
      this.error = errorMessage(error)
    }
    this.changed()
  }

  showMore = () => {
    const cursor = this.next
    if (!this.arrived || this.busy || cursor === null) return
    this.busy = true
    this.error = null
    this.changed()
    call('search.all', { query: this.query, limit: SEARCH_PAGE, cursor })
      .then((page) => {
        this.shown = { ...this.shown, hits: [...this.shown.hits, ...page.hits] }
        this.next = page.next
      })
      .catch((error: unknown) => {
        this.error = errorMessage(error)
      })
      .finally(() => {
        this.busy = false
        this.changed()
      })
  }
}

const noSubscription = () => () => undefined
const noSnapshot = () => 0
const noMore = () => undefined

/**
 * What the one search box finds for `query`: mail and chat messages in one
 * answer (search.all), a page at a time, with the count of all of them.
 * `version` changes when the mailbox changed: the same query is asked
 * again for as many hits as were shown, so the list keeps its length and place.
 */
export function useEverything(query: string, version = 0): EverythingPages {
  const trimmed = query.trim()
  const key = trimmed ? `${version}\n${trimmed}` : null
  const [pages, setPages] = useState<SearchPages | null>(null)
  if (key !== (pages?.key ?? null)) {
    const sameQuery = pages !== null && pages.query === trimmed
    const shown = pages?.current() ?? NOTHING
    setPages(
      key === null
        ? null
        : new SearchPages(
            trimmed,
            key,
            sameQuery ? shown.hits.length : SEARCH_PAGE,
            shown,
            sameQuery ? 0 : 120,
          ),
    )
  }
  useSyncExternalStore(pages?.subscribe ?? noSubscription, pages?.snapshot ?? noSnapshot)
  if (key === null || pages === null)
    return {
      ...NOTHING,
      more: false,
      loading: false,
      loadingMore: false,
      error: null,
      showMore: noMore,
    }
  return pages.view()
}
