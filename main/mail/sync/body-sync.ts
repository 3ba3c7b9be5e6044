import type { ImapFlow } from 'imapflow'
import { errnoCode } from '../../shared/errors.js'
import { withAttachmentSweepHeld } from '../attachment-sweep-hold.js'
import type { MailDb } from '../db/connection.js'
import { putCompressedSource } from '../store/message-sources.js'
import {
  markBodyUnavailable,
  messagesNeedingBodies,
  storeBodies,
  type BodyCandidate,
  type BodyToStore,
} from '../store/remote-messages.js'
import type { PrepareBody, PreparedBody } from './body-prepare.js'
import { connectionError, MAX_LITERAL_BYTES } from './imap-connect.js'
import { toUidSet } from './uid-set.js'

export interface BodySyncContext {
  db: MailDb
  client: ImapFlow
  /** Parse, hash and compress a fetched source (in worker threads: body-prepare.ts). */
  prepare: PrepareBody
  /** Messages above this size keep their headers only (default 256 MiB, like import). */
  maxMessageBytes?: number
  signal?: AbortSignal
  onBatch?: (folderId: number, stored: number) => void
}

/** Bytes fetched per round trip: large enough to keep the pipe full, small enough to bound memory. */
const BATCH_BYTES = 8 * 1024 * 1024
const BATCH_COUNT = 500
/** Bodies stored per transaction, the event loop running between two. */
const STORE_GROUP = 250
/**
 * Bytes of one batch that may have arrived and not yet be stored (in the
 * workers, or prepared and waiting for their transaction) before the fetch
 * stops reading to store them. A batch is sized by the sizes the server
 * announced; one that announces 1 byte and sends each message as a 300 MB
 * literal would otherwise make a batch of 500 hold all of them at once.
 * Twice a batch: an honest server's batches never reach it.
 */
const MAX_HELD_BYTES = 2 * BATCH_BYTES

interface Item extends PreparedBody {
  uid: number
  size: number
}

/**
 * Fetch, parse and store the bodies of a folder's header-only messages
 * (newest first, or just `only`, the ones the user opened), in batches.
 * Batches overlap: while one is on the wire, the previous one finishes
 * parsing, hashing and compressing in the workers and is stored (one
 * transaction each); this thread only reads the socket and writes SQLite. A message
 * that is too large, or whose MIME cannot be read, keeps its headers and
 * says why (its raw source is stored when it could be fetched, so "view
 * source" still works). Returns how many bodies were stored.
 */
export function syncBodies(
  ctx: BodySyncContext,
  folderId: number,
  imapPath: string,
  only?: BodyCandidate[],
): Promise<number> {
  // The workers store a message's attachments when it arrives, its row is
  // written when the batch is in: the sweep waits (attachment-sweep-hold.ts).
  return withAttachmentSweepHeld(() => fetchAndStoreBodies(ctx, folderId, imapPath, only))
}

async function fetchAndStoreBodies(
  ctx: BodySyncContext,
  folderId: number,
  imapPath: string,
  only?: BodyCandidate[],
): Promise<number> {
  const maxBytes = Math.min(ctx.maxMessageBytes ?? 256 * 1024 * 1024, MAX_LITERAL_BYTES)
  let stored = 0
  let opened = false
  let belowUid = Number.MAX_SAFE_INTEGER
  let previous: Promise<number> | null = null
  const settle = async () => {
    if (previous) stored += await previous
    previous = null
  }
  try {
    for (let round = 0; !ctx.signal?.aborted; round++) {
      if (only && round > 0) break
      const rows = only ?? messagesNeedingBodies(ctx.db, folderId, BATCH_COUNT, belowUid)
      if (rows.length === 0) break
      const tooLarge = rows.filter((r) => r.size > maxBytes)
      if (tooLarge.length)
        ctx.db.transaction(() => {
          for (const r of tooLarge)
            markBodyUnavailable(
              ctx.db,
              r.messageId,
              `It is larger than ${Math.round(maxBytes / 1048576)} MB; only its headers are kept.`,
            )
        })()
      const batch: BodyCandidate[] = []
      let bytes = 0
      for (const r of rows) {
        if (r.size > maxBytes) continue
        if (batch.length > 0 && bytes + r.size > BATCH_BYTES) break
        batch.push(r)
        bytes += r.size
      }
      // Rows are newest first: the next round starts below what this one took.
      belowUid = Math.min(...(batch.length ? batch : rows).map((r) => r.uid))
      if (batch.length === 0) continue
      // Selected already (just synced its headers): no second SELECT, which
      // on a large Maildir costs the server a rescan.
      if (!opened && ctx.client.mailbox && ctx.client.mailbox.path === imapPath) opened = true
      if (!opened) {
        await ctx.client.mailboxOpen(imapPath)
        opened = true
      }
      const uidvalidity = Number(ctx.client.mailbox ? ctx.client.mailbox.uidValidity : 0)
      const byUid = new Map(
        batch.filter((r) => r.uidvalidity === uidvalidity).map((r) => [r.uid, r]),
      )
      if (byUid.size === 0) break // UIDVALIDITY moved on: the next folder sync re-matches first
      const { pending, sources, failure, early } = await fetchSources(
        ctx,
        folderId,
        byUid,
        maxBytes,
      )
      stored += early
      const done = storeBatch(ctx, folderId, byUid, sources, pending, failure !== null)
      done.catch(() => undefined) // awaited below; this only avoids an unhandled rejection meanwhile
      await settle()
      previous = done
      if (failure) {
        await settle()
        throw failure
      }
    }
    await settle()
  } catch (error) {
    await settle().catch(() => undefined)
    throw error
  }
  return stored
}

/**
 * Stream one batch of sources; each goes to the parser as soon as it
 * arrives, so parsing (in the workers) overlaps with the rest coming in.
 * When more than MAX_HELD_BYTES of them are not stored yet, what is there
 * is stored (`early`) before the next source is read: imapflow reads the
 * server's next answer only when asked, so the server waits meanwhile.
 */
async function fetchSources(
  ctx: BodySyncContext,
  folderId: number,
  byUid: Map<number, BodyCandidate>,
  maxBytes: number,
) {
  // UIDs that arrived (their bytes live on in the workers, not here).
  const sources = new Set<number>()
  const pending: Promise<Item>[] = []
  // Bytes that arrived and are not stored yet, counted as received (not as announced).
  let held = 0
  let early = 0
  const prepare = async (uid: number, raw: Buffer): Promise<Item> => ({
    uid,
    size: raw.byteLength,
    ...(await ctx.prepare(raw)),
  })
  let failure: unknown = null
  try {
    for await (const m of ctx.client.fetch(
      toUidSet([...byUid.keys()]),
      { uid: true, source: true },
      { uid: true },
    )) {
      const row = byUid.get(m.uid)
      if (!m.source || !row) continue
      sources.add(m.uid)
      // A source whose Message-ID is not the one the envelope of that UID
      // gave is another message's, answered under the wrong UID: stored, it
      // would show one message's content under another's headers for good.
      // It is left without a body (not marked unavailable), so the next sync
      // asks again.
      const found = sourceMessageId(m.source)
      if (row.headerMessageId && found && found !== row.headerMessageId) continue
      // A source far larger than its announced RFC822.SIZE got past the
      // planning above (which refuses by announced size): the account's
      // limit holds for the bytes that came, not only for what was said.
      // Its bytes are dropped here, never parsed or stored; the message
      // keeps its headers and says why, and the batch goes on.
      if (m.source.byteLength > maxBytes) {
        markBodyUnavailable(ctx.db, row.messageId, oversizedReason(row.size, m.source, maxBytes))
        continue
      }
      pending.push(prepare(m.uid, m.source))
      held += m.source.byteLength
      if (held > MAX_HELD_BYTES) {
        early += await storePrepared(ctx, folderId, byUid, pending.splice(0))
        held = 0
      }
    }
  } catch (error) {
    failure = connectionError(ctx.client) ?? error
    // A literal over the limit (a server announcing 2 GB) ends the
    // connection. Answers come in UID order, so the culprit is the first
    // message that did not arrive: it keeps its headers only, and what did
    // arrive is stored before the error goes up.
    if (errnoCode(failure) === 'LiteralTooLarge') {
      const culprit = [...byUid.keys()].sort((a, b) => a - b).find((uid) => !sources.has(uid))
      const row = culprit === undefined ? undefined : byUid.get(culprit)
      if (row)
        markBodyUnavailable(
          ctx.db,
          row.messageId,
          'The server sent it larger than Cairn accepts; only its headers are kept.',
        )
    }
  }
  return { pending, sources, failure, early }
}

/** Why a source that came larger than the limit (whatever size was announced) has no body. */
function oversizedReason(announced: number, source: Buffer, maxBytes: number): string {
  const mb = (bytes: number) => `${Math.max(1, Math.round(bytes / 1048576))} MB`
  const said =
    announced < 1048576 ? `${announced} byte${announced === 1 ? '' : 's'}` : mb(announced)
  return `The server said it is ${said} but sent ${mb(source.byteLength)}, more than the ${mb(maxBytes)} Cairn keeps per message; only its headers are kept.`
}

/** How far into a source its header is looked for. */
const HEADER_SCAN_BYTES = 64 * 1024

/**
 * The Message-ID a source's header gives, as the envelope has it (the first
 * <…>, at most 500 characters), or '' when it has none in that form. Only a
 * printable ASCII one counts: other bytes may be decoded differently in the
 * envelope, and a false mismatch would keep a body out for good.
 */
function sourceMessageId(raw: Buffer): string {
  const scan = raw.subarray(0, HEADER_SCAN_BYTES).toString('latin1')
  // The header ends at the first empty line; a Message-ID below it belongs to an attached message.
  const end = scan.search(/\r?\n\r?\n/)
  const header = end === -1 ? scan : scan.slice(0, end)
  const match = /^Message-ID:[ \t]*(?:\r?\n[ \t]+)?<[ \t]*([!-;=?-~]+)[ \t]*>/im.exec(header)
  return match?.[1]?.slice(0, 500) ?? ''
}

/**
 * Store a batch as its bodies come back from the workers, a group per
 * transaction, letting the event loop run between groups: a long
 * synchronous store would leave the workers idle (new messages are handed
 * to them only as they answer) and the socket unread.
 */
async function storeBatch(
  ctx: BodySyncContext,
  folderId: number,
  byUid: Map<number, BodyCandidate>,
  sources: Set<number>,
  pending: Promise<Item>[],
  interrupted: boolean,
): Promise<number> {
  const stored = await storePrepared(ctx, folderId, byUid, pending)
  // A message the server did not return (expunged meanwhile) is left for
  // the next folder sync to remove.
  if (!interrupted)
    ctx.db.transaction(() => {
      for (const [uid, row] of byUid)
        if (!sources.has(uid))
          markBodyUnavailable(ctx.db, row.messageId, 'The server did not return it.')
    })()
  return stored
}

/** Store bodies as they come back from the workers, STORE_GROUP per transaction. */
async function storePrepared(
  ctx: BodySyncContext,
  folderId: number,
  byUid: Map<number, BodyCandidate>,
  pending: Promise<Item>[],
): Promise<number> {
  let stored = 0
  for (let i = 0; i < pending.length; i += STORE_GROUP) {
    const items = await Promise.all(pending.slice(i, i + STORE_GROUP))
    const n = storeGroup(ctx, byUid, items)
    if (n) ctx.onBatch?.(folderId, n)
    stored += n
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  return stored
}

function storeGroup(
  ctx: BodySyncContext,
  byUid: Map<number, BodyCandidate>,
  items: Item[],
): number {
  return ctx.db.transaction(() => {
    const bodies: { messageId: number; body: BodyToStore }[] = []
    const unreadable: { messageId: number; error: string }[] = []
    for (const item of items) {
      const row = byUid.get(item.uid)
      if (!row) continue
      putCompressedSource(ctx.db, item.sha256, item.size, item.compressed)
      const c = item.content
      bodies.push({
        messageId: row.messageId,
        body: {
          sourceSha256: item.sha256,
          snippet: c?.snippet ?? '',
          text: c?.text ?? '',
          html: c?.html ?? null,
          attachments: c?.attachments ?? [],
          parseNote: c?.problems.length ? c.problems.join('; ') : null,
        },
      })
      if (!c) unreadable.push({ messageId: row.messageId, error: item.error ?? 'unknown' })
    }
    // All of the group at once: the full-text index then writes one segment for it, not one per message.
    storeBodies(ctx.db, bodies)
    for (const { messageId, error } of unreadable)
      markBodyUnavailable(
        ctx.db,
        messageId,
        `Its content cannot be read (${error}); the original is kept.`,
      )
    return bodies.length
  })()
}
