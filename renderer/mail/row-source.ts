import { useMemo, useSyncExternalStore } from 'react'
import type { ChatSearchHit } from '../../main/chat/types'
import type { MessageSummary, SearchHit } from '../../main/mail/types'
import { call, errorMessage } from '../api'
import { useEverything, type EverythingPages } from '../search/use-everything'

/**
 * A chat message among search results. Its id is the chat message's id
 * negated, so it never equals a mail message's id in the list's selection.
 */
export interface ChatHitRow {
  kind: 'chat'
  id: number
  hit: ChatSearchHit
}

export function isChatHit(row: MessageSummary | SearchHit | ChatHitRow): row is ChatHitRow {
  return 'kind' in row && row.kind === 'chat'
}

/** What the message list shows: a count and rows fetched on demand by position. */
export interface RowSource {
  key: string
  count: number
  row(index: number): MessageSummary | SearchHit | ChatHitRow | undefined
  /** Ask for rows [start, end) to be loaded (the visible range plus overscan). */
  ensure(start: number, end: number): void
  loading: boolean
  error: string | null
}

const BLOCK = 100

/** How a folder's list is ordered: by date (newest first), or by sender, subject, size. */
export type SortOrder = 'date' | 'sender' | 'subject' | 'size'

/**
 * Rows of one folder in blocks of 100, fetched as they scroll into view. A
 * block that follows a loaded one is fetched by keyset (after its last row);
 * a block reached by a jump is fetched by offset once.
 */
class FolderBlocks {
  private readonly blocks = new Map<number, MessageSummary[]>()
  private readonly pending = new Set<number>()
  private readonly listeners = new Set<() => void>()
  private revision = 0
  error: string | null = null

  constructor(
    readonly folderId: number,
    readonly total: number,
    readonly sort: SortOrder = 'date',
    /**
     * The rows before the folder changed (an action, an import): shown until
     * fresh ones arrive, so the list neither flickers nor loses its place.
     */
    private readonly stale: FolderBlocks | null = null,
  ) {}

  subscribe = (listener: () => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  snapshot = () => this.revision

  /** These rows as another list's stale fallback (one generation only, so memory stays flat). */
  withoutStale(): FolderBlocks {
    const copy = new FolderBlocks(this.folderId, this.total, this.sort)
    // Rows still shown from before count too (a generation replaced before its rows arrived).
    if (this.stale) for (const [block, rows] of this.stale.blocks) copy.blocks.set(block, rows)
    for (const [block, rows] of this.blocks) copy.blocks.set(block, rows)
    return copy
  }

  get loading(): boolean {
    return this.blocks.size === 0 && this.error === null
  }

  row = (index: number): MessageSummary | undefined => {
    const fresh = this.blocks.get(Math.floor(index / BLOCK))
    if (fresh) return fresh[index % BLOCK]
    return this.stale?.row(index)
  }

  ensure = (start: number, end: number) => {
    for (
      let block = Math.floor(start / BLOCK);
      block * BLOCK < Math.min(end, this.total);
      block++
    ) {
      if (this.blocks.has(block) || this.pending.has(block)) continue
      this.pending.add(block)
      const previous = this.blocks.get(block - 1)
      const last = previous?.length === BLOCK ? previous[BLOCK - 1] : undefined
      const position = last
        ? { cursor: { date: last.date, id: last.id } }
        : block > 0
          ? { offset: block * BLOCK }
          : {}
      const page =
        this.sort === 'date'
          ? call('mail.list', { folderId: this.folderId, limit: BLOCK, ...position })
          : call('mail.sorted', {
              folderId: this.folderId,
              by: this.sort,
              // Size: largest first; sender and subject: A to Z.
              descending: this.sort === 'size',
              offset: block * BLOCK,
              limit: BLOCK,
            })
      page
        .then((page) => {
          this.blocks.set(block, page.messages)
          // Registered once it shows rows: a generation React made and dropped
          // (StrictMode renders twice) never becomes the next one's fallback.
          shownBlocks.clear()
          shownBlocks.set(`${this.folderId}:${this.sort}`, this)
        })
        .catch((error: unknown) => {
          this.error = errorMessage(error)
        })
        .finally(() => {
          this.pending.delete(block)
          this.revision += 1
          for (const listener of this.listeners) listener()
        })
    }
  }
}

/** The rows on screen, by folder and order: the next generation shows them until its own arrive. */
const shownBlocks = new Map<string, FolderBlocks>()

const noSubscription = () => () => undefined
const noSnapshot = () => 0
const noRow = () => undefined
const noEnsure = () => undefined

/** The rows of a folder; `version` changes when its content changed (an import), dropping the cache. */
export function useFolderRows(
  folderId: number | null,
  total: number,
  version: number,
  sort: SortOrder = 'date',
): RowSource {
  const blocks = useMemo(() => {
    if (folderId === null) return null
    const key = `${folderId}:${sort}`
    return new FolderBlocks(folderId, total, sort, shownBlocks.get(key)?.withoutStale() ?? null)
    // version is a dependency on purpose: a new version means new content.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [folderId, total, version, sort])
  useSyncExternalStore(blocks?.subscribe ?? noSubscription, blocks?.snapshot ?? noSnapshot)
  return {
    // Not the version: new content keeps the list where it was.
    key: `folder:${folderId}:${sort}`,
    count: blocks?.total ?? 0,
    row: blocks?.row ?? noRow,
    ensure: blocks?.ensure ?? noEnsure,
    loading: blocks?.loading ?? false,
    error: blocks?.error ?? null,
  }
}

/** Search results as list rows, with the search's count and "Show more". */
export interface SearchRowSource extends RowSource {
  paging: Pick<
    EverythingPages,
    'count' | 'problems' | 'more' | 'loadingMore' | 'error' | 'showMore'
  > & { shown: number }
}

/**
 * Search results for what the user is typing, fetched after a short pause
 * in typing: mail and chat messages from the one search (search.all), a
 * page at a time; "Show more" appends the next page to the same list.
 */
export function useSearchRows(query: string, version: number): SearchRowSource {
  const trimmed = query.trim()
  const result = useEverything(trimmed, version)
  // While the next answer loads, the previous results stay on screen.
  const hits = useMemo(
    () =>
      result.hits.map((hit): SearchHit | ChatHitRow =>
        hit.kind === 'mail' ? hit.mail : { kind: 'chat', id: -hit.chat.messageId, hit: hit.chat },
      ),
    [result.hits],
  )
  return {
    // Neither the version nor the pages: new content and "Show more" keep the list where it was.
    key: `search:${trimmed}`,
    count: hits.length,
    row: (index) => hits[index],
    ensure: noEnsure,
    loading: result.loading,
    // An error fetching more keeps the rows; the footer says it.
    error: hits.length === 0 ? result.error : null,
    paging: {
      count: result.count,
      problems: result.problems,
      more: result.more,
      loadingMore: result.loadingMore,
      error: result.error,
      showMore: result.showMore,
      shown: hits.length,
    },
  }
}
