import { useCallback, useMemo, useSyncExternalStore } from 'react'
import type { MessageSummary, ThreadEntry, ThreadSummary } from '../../main/mail/types'
import { call, errorMessage } from '../api'
import type { RowSource } from './row-source'

/** A conversation's row: its newest message in this folder, with its count and unread count. */
export function isConversation(row: unknown): row is ThreadSummary {
  return typeof row === 'object' && row !== null && 'threadCount' in row
}

/** A message shown under its expanded conversation (in reading order, indented by depth). */
export function isConversationMessage(row: unknown): row is ThreadEntry {
  return typeof row === 'object' && row !== null && 'depth' in row && 'folderName' in row
}

const BLOCK = 100

/** An expanded conversation placed in the list: at conversation index `at`, then its messages. */
interface Opened {
  at: number
  messages: ThreadEntry[]
}

/**
 * A folder's conversations (folder_threads) in blocks of 100, newest first,
 * fetched as they scroll into view, with the messages of the expanded ones
 * spliced in under their row. Only the expanded conversations add rows, so
 * the list stays as light as the folder's own (150k messages).
 */
class ConversationBlocks {
  private readonly blocks = new Map<number, ThreadSummary[]>()
  private readonly pending = new Set<number>()
  private readonly listeners = new Set<() => void>()
  /** Messages of a conversation (any folder), by thread id, once fetched. */
  readonly members = new Map<number, ThreadEntry[]>()
  private readonly fetching = new Set<number>()
  private layout: Opened[] = []
  private revision = 0
  total: number
  error: string | null = null

  /** The conversations showing their messages (kept from one generation to the next). */
  private readonly expanded: Set<number>

  constructor(
    readonly folderId: number,
    /** The previous generation's rows, shown until fresh ones arrive (no flicker after an action). */
    private stale: ConversationBlocks | null,
  ) {
    // One generation back only, so memory stays flat however many changes come.
    if (stale) stale.stale = null
    this.total = stale?.total ?? 0
    this.expanded = new Set(stale?.expanded)
    this.ensure(0, 1)
  }

  isExpanded = (threadId: number) => this.expanded.has(threadId)

  setExpanded = (threadId: number, open: boolean) => {
    if (this.expanded.has(threadId) === open) return
    if (open) this.expanded.add(threadId)
    else this.expanded.delete(threadId)
    this.relayout()
  }

  subscribe = (listener: () => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  snapshot = () => this.revision

  get loading(): boolean {
    return this.blocks.size === 0 && this.error === null
  }

  get count(): number {
    return this.total + this.layout.reduce((sum, opened) => sum + opened.messages.length, 0)
  }

  /** Conversation `index` (without the expanded messages), fresh or stale. */
  private conversation(index: number): ThreadSummary | undefined {
    const fresh = this.blocks.get(Math.floor(index / BLOCK))
    if (fresh) return fresh[index % BLOCK]
    return this.stale?.conversation(index)
  }

  row = (index: number): MessageSummary | undefined => {
    let shift = 0
    for (const opened of this.layout) {
      const at = opened.at + shift
      if (index <= at) break
      if (index <= at + opened.messages.length) return opened.messages[index - at - 1]
      shift += opened.messages.length
    }
    return this.conversation(index - shift)
  }

  /** The conversation whose row is message `id` (loaded rows only). */
  conversationOf(id: number): ThreadSummary | undefined {
    for (const rows of this.blocks.values()) for (const row of rows) if (row.id === id) return row
    return undefined
  }

  /** Every message of the conversation in this folder (what an action on its collapsed row means). */
  async messagesIn(threadId: number): Promise<number[]> {
    const messages = this.members.get(threadId) ?? (await call('mail.thread', { threadId }))
    return messages.filter((m) => m.folderId === this.folderId).map((m) => m.id)
  }

  ensure = (start: number, end: number) => {
    // Rows past the expanded messages map back to conversation positions.
    let shift = 0
    for (const opened of this.layout) if (opened.at < start - shift) shift += opened.messages.length
    const from = Math.max(0, start - shift)
    const to = Math.max(from + 1, end - shift)
    for (let block = Math.floor(from / BLOCK); block * BLOCK < to; block++) {
      if (this.blocks.has(block) || this.pending.has(block)) continue
      if (block > 0 && block * BLOCK >= this.total) break
      this.pending.add(block)
      const previous = this.blocks.get(block - 1)
      const last = previous?.length === BLOCK ? previous[BLOCK - 1] : undefined
      const position =
        last && last.threadId !== null
          ? { cursor: { date: last.date, id: last.threadId } }
          : { offset: block * BLOCK }
      call('mail.threads', { folderId: this.folderId, limit: BLOCK, ...position })
        .then((page) => {
          this.blocks.set(block, page.threads)
          this.total = page.total
          shown.set(this.folderId, this)
        })
        .catch((error: unknown) => {
          this.error = errorMessage(error)
        })
        .finally(() => {
          this.pending.delete(block)
          this.relayout()
        })
    }
  }

  private relayout() {
    const layout: Opened[] = []
    if (this.expanded.size > 0)
      for (const [block, rows] of this.blocks)
        rows.forEach((row, i) => {
          const threadId = row.threadId
          if (threadId === null || !this.expanded.has(threadId)) return
          const messages = this.members.get(threadId) ?? this.stale?.members.get(threadId)
          if (!this.members.has(threadId)) this.fetch(threadId)
          if (!messages) return
          // The row itself is the conversation's newest message here: the others go under it.
          layout.push({ at: block * BLOCK + i, messages: messages.filter((m) => m.id !== row.id) })
        })
    this.layout = layout.sort((a, b) => a.at - b.at)
    this.revision += 1
    for (const listener of this.listeners) listener()
  }

  private fetch(threadId: number) {
    if (this.fetching.has(threadId)) return
    this.fetching.add(threadId)
    call('mail.thread', { threadId })
      .then((messages) => this.members.set(threadId, messages))
      .catch((error: unknown) => {
        this.error = errorMessage(error)
      })
      .finally(() => this.relayout())
  }
}

/** The generation on screen per folder: the next one shows its rows until its own arrive. */
const shown = new Map<number, ConversationBlocks>()
const neverExpanded = () => false

const noRow = () => undefined
const noEnsure = () => undefined
const noSubscription = () => () => undefined
const noSnapshot = () => 0

export interface ConversationSource extends RowSource {
  /** Whether conversation `threadId` shows its messages. */
  isExpanded(threadId: number): boolean
  setExpanded(threadId: number, open: boolean): void
  /** The ids an action on `ids` means: a collapsed conversation's row stands for all its messages here. */
  targetsOf(ids: readonly number[]): Promise<number[]>
}

/**
 * The rows of a folder as conversations. `version` changes when its content
 * changed (an action, an import, read state), fetching afresh.
 */
export function useConversationRows(
  folderId: number | null,
  version: number,
  enabled: boolean,
): ConversationSource {
  const blocks = useMemo(() => {
    if (folderId === null || !enabled) return null
    return new ConversationBlocks(folderId, shown.get(folderId) ?? null)
    // version is a dependency on purpose: a new version means new content.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [folderId, version, enabled])
  useSyncExternalStore(blocks?.subscribe ?? noSubscription, blocks?.snapshot ?? noSnapshot)
  const targetsOf = useCallback(
    async (ids: readonly number[]) => {
      if (!blocks) return [...ids]
      const all = new Set<number>()
      for (const id of ids) {
        const conversation = blocks.conversationOf(id)
        const threadId = conversation?.threadId ?? null
        if (
          conversation &&
          threadId !== null &&
          conversation.threadCount > 1 &&
          !blocks.isExpanded(threadId)
        )
          for (const member of await blocks.messagesIn(threadId)) all.add(member)
        else all.add(id)
      }
      return [...all]
    },
    [blocks],
  )
  return {
    key: `conversations:${folderId}`,
    count: blocks?.count ?? 0,
    row: blocks?.row ?? noRow,
    ensure: blocks?.ensure ?? noEnsure,
    loading: blocks?.loading ?? false,
    error: blocks?.error ?? null,
    isExpanded: blocks?.isExpanded ?? neverExpanded,
    setExpanded: blocks?.setExpanded ?? noEnsure,
    targetsOf,
  }
}
