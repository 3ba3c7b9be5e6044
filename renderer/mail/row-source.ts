import { useMemo, useSyncExternalStore } from 'react'
import type { ChatSearchHit } from '../../main/chat/types'
import type { MessageSummary, SearchHit } from '../../main/mail/types'
import { call, errorMessage } from '../api'
import { useEverything } from '../search/use-everything'

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
  ) {}

  subscribe = (listener: () => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  snapshot = () => this.revision

  get loading(): boolean {
    return this.blocks.size === 0 && this.error === null
  }

  row = (index: number) => this.blocks.get(Math.floor(index / BLOCK))?.[index % BLOCK]

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
      call('mail.list', { folderId: this.folderId, limit: BLOCK, ...position })
        .then((page) => this.blocks.set(block, page.messages))
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

const noSubscription = () => () => undefined
const noSnapshot = () => 0
const noRow = () => undefined
const noEnsure = () => undefined

/** The rows of a folder; `version` changes when its content changed (an import), dropping the cache. */
export function useFolderRows(folderId: number | null, total: number, version: number): RowSource {
  const blocks = useMemo(
    () => (folderId === null ? null : new FolderBlocks(folderId, total)),
    // version is a dependency on purpose: a new version means new content.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [folderId, total, version],
  )
  useSyncExternalStore(blocks?.subscribe ?? noSubscription, blocks?.snapshot ?? noSnapshot)
  return {
    key: `folder:${folderId}:${version}`,
    count: blocks?.total ?? 0,
    row: blocks?.row ?? noRow,
    ensure: blocks?.ensure ?? noEnsure,
    loading: blocks?.loading ?? false,
    error: blocks?.error ?? null,
  }
}

/**
 * Search results for what the user is typing, fetched after a short pause
 * in typing: mail and chat messages from the one search (search.all),
 * newest first.
 */
export function useSearchRows(query: string, version: number): RowSource {
  const trimmed = query.trim()
  const result = useEverything(trimmed, version)
  // While the next answer loads, the previous results stay on screen.
  const hits = useMemo(
    () =>
      (result.value ?? []).map((hit): SearchHit | ChatHitRow =>
        hit.kind === 'mail' ? hit.mail : { kind: 'chat', id: -hit.chat.messageId, hit: hit.chat },
      ),
    [result.value],
  )
  return {
    key: `search:${trimmed}:${version}`,
    count: hits.length,
    row: (index) => hits[index],
    ensure: noEnsure,
    loading: result.loading,
    error: result.error,
  }
}
