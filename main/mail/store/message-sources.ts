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
 * A source leaves with the last message, server copy or outbox entry that
 * points at it: the schema's triggers see to that (migration 0015).
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
