import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import type * as Zstd from 'zstd-napi'
import type { MailDb } from '../db/connection.js'
import { perConnection } from '../db/per-connection.js'

// zstd-napi is CommonJS; its named exports are reached through require.
const zstd = createRequire(import.meta.url)('zstd-napi') as typeof Zstd

/**
 * The raw RFC 822 bytes of synced and sent messages, stored once per SHA-256
 * and zstd-compressed (level 1: mail text shrinks about 3×, at several
 * hundred MB/s, on the thread that syncs). Kept so that "view source" and re-parsing never need the network.
 */
export function sourceHash(raw: Uint8Array): string {
  return createHash('sha256').update(raw).digest('hex')
}

export function compressSource(raw: Uint8Array): Buffer {
  return zstd.compress(raw, { compressionLevel: 1 })
}

/** Store (if new) already-compressed bytes under their hash. */
const insertOf = perConnection((db) =>
  db.prepare<[string, number, Uint8Array]>(
    `INSERT OR IGNORE INTO message_sources (sha256, size, compression, content) VALUES (?, ?, 'zstd', ?)`,
  ),
)

export function putCompressedSource(
  db: MailDb,
  sha256: string,
  size: number,
  compressed: Uint8Array,
): void {
  insertOf(db).run(sha256, size, compressed)
}

export function putSource(db: MailDb, raw: Uint8Array): string {
  const sha256 = sourceHash(raw)
  putCompressedSource(db, sha256, raw.byteLength, compressSource(raw))
  return sha256
}

export function getSource(db: MailDb, sha256: string): Buffer | null {
  const row = db
    .prepare<[string], { content: Buffer }>('SELECT content FROM message_sources WHERE sha256 = ?')
    .get(sha256)
  return row ? zstd.decompress(row.content) : null
}

/**
 * Drop the sources among `keys` that no message, remote copy or outbox entry
 * refers to any more: a message the user deleted unsent, or one sent and
 * filed, leaves no copy of its words behind in the mailbox (nor in the
 * backups made of it). One shared by another row stays.
 */
export function dropUnusedSources(db: MailDb, keys: readonly string[]): number {
  const drop = db.prepare<{ sha: string }>(
    `DELETE FROM message_sources WHERE sha256 = @sha
        AND NOT EXISTS (SELECT 1 FROM remote_messages WHERE source_sha256 = @sha)
        AND NOT EXISTS (SELECT 1 FROM messages WHERE source_sha256 = @sha)
        AND NOT EXISTS (SELECT 1 FROM outbox WHERE source_sha256 = @sha)`,
  )
  let dropped = 0
  for (const sha of new Set(keys)) dropped += drop.run({ sha }).changes
  return dropped
}

/** Drop sources no message, remote copy or outbox entry refers to any more. */
export function pruneSources(db: MailDb): number {
  return db
    .prepare(
      `DELETE FROM message_sources WHERE sha256 NOT IN (
         SELECT source_sha256 FROM remote_messages WHERE source_sha256 IS NOT NULL
         UNION SELECT source_sha256 FROM messages WHERE source_sha256 IS NOT NULL
         UNION SELECT source_sha256 FROM outbox)`,
    )
    .run().changes
}
