import type { ImapFlow } from 'imapflow'
import { describeError, errnoCode } from '../../shared/errors.js'
import { storeAttachment } from '../attachment-store.js'
import type { MailDb } from '../db/connection.js'
import type { ParsedMessage } from '../import/parse-message.js'
import { compressSource, putCompressedSource, sourceHash } from '../store/message-sources.js'
import { markBodyUnavailable, messagesNeedingBodies, storeBody } from '../store/remote-messages.js'
import { connectionError, MAX_LITERAL_BYTES } from './imap-connect.js'
import { toUidSet } from './uid-set.js'

/**
 * The one thing sync asks of the MIME parser: bytes in, parsed message out.
 * Whatever runs it (today the import's parse-worker pool) stays behind this.
 */
export type ParseRaw = (raw: Buffer) => Promise<ParsedMessage>

export interface BodySyncContext {
  db: MailDb
  client: ImapFlow
  parse: ParseRaw
  attachmentsDir: string
  /** Messages above this size keep their headers only (default 256 MiB, like import). */
  maxMessageBytes?: number
  signal?: AbortSignal
  onBatch?: (folderId: number, stored: number) => void
}

/** Bytes fetched per round trip: large enough to keep the pipe full, small enough to bound memory. */
const BATCH_BYTES = 32 * 1024 * 1024
const BATCH_COUNT = 500

/**
 * Fetch, parse and store the bodies of a folder's header-only messages,
 * newest first, in batches. Each batch is committed on its own; a message
 * that is too large, or whose MIME cannot be read, keeps its headers and
 * says why (its raw source is stored when it could be fetched, so "view
 * source" still works). Returns how many bodies were stored.
 */
export async function syncBodies(
  ctx: BodySyncContext,
  folderId: number,
  imapPath: string,
  limit = Infinity,
): Promise<number> {
  const maxBytes = Math.min(ctx.maxMessageBytes ?? 256 * 1024 * 1024, MAX_LITERAL_BYTES)
  let stored = 0
  let opened = false
  while (stored < limit && !ctx.signal?.aborted) {
    const rows = messagesNeedingBodies(ctx.db, folderId, BATCH_COUNT)
    if (rows.length === 0) break
    const tooLarge = rows.filter((r) => r.size > maxBytes)
    if (tooLarge.length) {
      ctx.db.transaction(() => {
        for (const r of tooLarge)
          markBodyUnavailable(
            ctx.db,
            r.messageId,
            `It is larger than ${Math.round(maxBytes / 1048576)} MB; only its headers are kept.`,
          )
      })()
    }
    const batch: typeof rows = []
    let bytes = 0
    for (const r of rows) {
      if (r.size > maxBytes) continue
      if (batch.length > 0 && bytes + r.size > BATCH_BYTES) break
      batch.push(r)
      bytes += r.size
    }
    if (batch.length === 0) continue
    if (!opened) {
      await ctx.client.mailboxOpen(imapPath)
      opened = true
    }
    const uidvalidity = Number(ctx.client.mailbox ? ctx.client.mailbox.uidValidity : 0)
    const byUid = new Map(batch.filter((r) => r.uidvalidity === uidvalidity).map((r) => [r.uid, r]))
    if (byUid.size === 0) break // the folder's UIDVALIDITY moved on: the next folder sync re-matches first
    // Each message goes to the parser as soon as it arrives, so parsing (in
    // the workers) overlaps with the rest of the batch coming in.
    type Item = {
      uid: number
      raw: Buffer
      sha256: string
      compressed: Buffer
      parsed: ParsedMessage | null
      error: string | null
    }
    const sources = new Map<number, Buffer>()
    const pending: Promise<Item>[] = []
    const prepare = async (uid: number, raw: Buffer): Promise<Item> => {
      const parsing = ctx.parse(raw).then(
        (parsed) => ({ parsed, error: null }),
        (error: unknown) => ({ parsed: null, error: describeError(error) }),
      )
      const sha256 = sourceHash(raw)
      const compressed = compressSource(raw)
      return { uid, raw, sha256, compressed, ...(await parsing) }
    }
    let failure: unknown = null
    try {
      for await (const m of ctx.client.fetch(
        toUidSet([...byUid.keys()]),
        { uid: true, source: true },
        { uid: true },
      )) {
        if (!m.source || !byUid.has(m.uid)) continue
        sources.set(m.uid, m.source)
        pending.push(prepare(m.uid, m.source))
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
    const parsed = await Promise.all(pending)
    const storedNow = ctx.db.transaction(() => {
      let n = 0
      for (const item of parsed) {
        const row = byUid.get(item.uid)
        if (!row) continue
        putCompressedSource(ctx.db, item.sha256, item.raw.byteLength, item.compressed)
        if (!item.parsed) {
          storeBody(ctx.db, row.messageId, {
            sourceSha256: item.sha256,
            snippet: '',
            text: '',
            html: null,
            attachments: [],
          })
          markBodyUnavailable(
            ctx.db,
            row.messageId,
            `Its content cannot be read (${item.error ?? 'unknown'}); the original is kept.`,
          )
          n++
          continue
        }
        const p = item.parsed
        storeBody(ctx.db, row.messageId, {
          sourceSha256: item.sha256,
          snippet: p.snippet,
          text: p.text,
          html: p.html,
          attachments: p.attachments.map((a) => ({
            filename: a.filename,
            mimeType: a.mimeType,
            size: a.content.byteLength,
            sha256: storeAttachment(ctx.attachmentsDir, a.content),
            contentId: a.contentId,
            disposition: a.disposition,
          })),
        })
        n++
      }
      // A message the server did not return (expunged meanwhile) is left
      // for the next folder sync to remove.
      if (!failure)
        for (const [uid, row] of byUid)
          if (!sources.has(uid))
            markBodyUnavailable(ctx.db, row.messageId, 'The server did not return it.')
      return n
    })()
    stored += storedNow
    if (storedNow) ctx.onBatch?.(folderId, storedNow)
    if (failure) throw failure
  }
  return stored
}
