import { createHash, randomBytes } from 'node:crypto'
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { sodium } from '../age/sodium.js'
import { z } from 'zod'
import { writeFileAtomicSync } from '../../shared/atomic-file.js'
import { errnoCode } from '../../shared/errors.js'
import { BLOCK_SIZE } from './chain-format.js'

/**
 * What the last backup to one destination held, kept in the profile
 * (`backup-state/`, 0700; files 0600; never itself backed up), so that the
 * next backup can tell changed blocks and files WITHOUT the secret key: a
 * scheduled backup has only the recipient.
 *
 * Block hashes are SipHash-2-4 (8 bytes; a PRF, keyed by a key derived
 * from a random one kept beside the record, `record-key`): who reads the
 * record learns nothing about the content, not even whether two profiles
 * hold the same page. A changed block whose hash stays the same (2^-64 for
 * each changed block, the key being secret) would be missed, and the
 * restore of that chain would refuse it (the assembled database fails the
 * manifest's SHA-256); SipHash costs 0.35 s for a 450 MB mailbox where
 * keyed BLAKE2b cost 0.83 s, the longest step of an incremental backup
 * (docs/decisions.md). They live in an
 * append-only log: a full backup writes every block's hash, each incremental
 * appends only the blocks it carried (a delta), and the JSON record says how
 * many bytes of the log are valid and their hash. A missing, partly written
 * or corrupt record (or log, or key) reads as "none": the next backup is
 * full, nothing breaks.
 */
export const HASH_BYTES = sodium.crypto_shorthash_BYTES
/** 2: block hashes became SipHash-2-4 (8 bytes); a version-1 record reads as none (one full backup). */
const RECORD_VERSION = 2
/** One log entry: file number (u16), block number (u32), keyed hash. */
const ENTRY_BYTES = 2 + 4 + HASH_BYTES

const hex64 = z.string().regex(/^[0-9a-f]{64}$/)

const recordSchema = z
  .object({
    version: z.literal(RECORD_VERSION),
    profileId: z.string(),
    keyFingerprint: z.string(),
    destination: z.string(),
    chainId: z.string().regex(/^[0-9a-f]{32}$/),
    /** The chain's links so far, in order. */
    links: z.array(z.object({ name: z.string(), createdAt: z.string(), sha256: hex64 })),
    /** Bytes of the full backup the chain starts with (encrypted), and bytes carried by links since. */
    fullSize: z.number().int().nonnegative(),
    /** Every file of the last link (its manifest entry), with what identified it on disk. */
    files: z.array(
      z.object({
        path: z.string(),
        size: z.number().int().nonnegative(),
        sha256: hex64,
        link: z.number().int().nonnegative(),
        ino: z.number().optional(),
        mtimeMs: z.number().optional(),
      }),
    ),
    /** The databases whose blocks are in the log: their size and SQLite header facts. */
    databases: z.array(
      z.object({
        path: z.string(),
        size: z.number().int().nonnegative(),
        pageSize: z.number().int().nonnegative(),
        schemaCookie: z.number().int(),
      }),
    ),
    logBytes: z.number().int().nonnegative(),
    logHash: z.string(),
  })
  .strict()

export type ChainRecord = z.infer<typeof recordSchema>
export type RecordedFile = ChainRecord['files'][number]
export type RecordedDatabase = ChainRecord['databases'][number]

/** A chain record with the block hashes it describes, per database path. */
export interface LoadedRecord {
  record: ChainRecord
  blocks: Map<string, Buffer[]>
}

export class PageRecordStore {
  private readonly dir: string
  private key: Buffer | null = null
  private unsavedKey = false

  constructor(stateDir: string) {
    this.dir = stateDir
  }

  /** The record for `destination` (its label: never a secret), or null when there is none usable. */
  load(destination: string): LoadedRecord | null {
    const base = this.baseName(destination)
    try {
      const record = this.readRecord(destination)
      if (!record) return null
      const log = readFileSync(`${base}.log`)
      if (log.length < record.logBytes) return null
      const valid = log.subarray(0, record.logBytes)
      if (this.hashLog(valid) !== record.logHash) return null
      if (valid.length % ENTRY_BYTES !== 0) return null
      const blocks = new Map<string, Buffer[]>()
      for (const db of record.databases) blocks.set(db.path, [])
      for (let at = 0; at < valid.length; at += ENTRY_BYTES) {
        const file = valid.readUInt16BE(at)
        const block = valid.readUInt32BE(at + 2)
        const db = record.databases[file]
        if (!db) return null
        const hashes = blocks.get(db.path) as Buffer[]
        if (block > hashes.length) return null // a hole: not a log this code wrote
        // A view into the log (read once, never written again): no copy per block.
        hashes[block] = valid.subarray(at + 6, at + ENTRY_BYTES)
      }
      for (const db of record.databases) {
        const hashes = blocks.get(db.path) as Buffer[]
        if (hashes.length !== Math.ceil(db.size / BLOCK_SIZE)) return null
      }
      return { record, blocks }
    } catch {
      return null // missing, unreadable, not JSON: no record, the next backup is full
    }
  }

  /**
   * Save the record after a backup was committed. A full backup (`fresh`)
   * rewrites the log with every block; an incremental appends `changed`.
   * The log is made durable before the JSON that vouches for it.
   */
  save(
    record: Omit<ChainRecord, 'version' | 'logBytes' | 'logHash'>,
    changed: { path: string; block: number; hash: Buffer }[],
    fresh: boolean,
  ): void {
    this.ensureDir()
    this.persistKey()
    const base = this.baseName(record.destination)
    const index = new Map(record.databases.map((db, i) => [db.path, i]))
    const entries = Buffer.alloc(changed.length * ENTRY_BYTES)
    changed.forEach((change, i) => {
      const at = i * ENTRY_BYTES
      entries.writeUInt16BE(index.get(change.path) as number, at)
      entries.writeUInt32BE(change.block, at + 2)
      change.hash.copy(entries, at + 6)
    })
    let previous: Buffer = Buffer.alloc(0)
    if (!fresh) {
      // The record appended to must still be the one vouching for the log (its hash): the
      // entries themselves were read by load() before the backup, not again here.
      const old = this.readRecord(record.destination)
      if (!old) throw new Error('no record to append to')
      previous = readFileSync(`${base}.log`).subarray(0, old.logBytes)
      if (previous.length !== old.logBytes || this.hashLog(previous) !== old.logHash)
        throw new Error('the record to append to changed')
      // Database numbers must mean the same files: the record keeps its order, new ones go last.
      old.databases.forEach((db, i) => {
        if (record.databases[i]?.path !== db.path) throw new Error('database order changed')
      })
    }
    const log = Buffer.concat([previous, entries])
    if (fresh) writeFileAtomicSync(`${base}.log`, log)
    else {
      // Appending: a crash leaves bytes past logBytes, which the next load ignores.
      const fd = openSync(`${base}.log`, 'r+', 0o600)
      try {
        writeSync(fd, entries, 0, entries.length, previous.length)
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
    }
    const full: ChainRecord = {
      version: RECORD_VERSION,
      ...record,
      logBytes: log.length,
      logHash: this.hashLog(log),
    }
    writeFileAtomicSync(`${base}.json`, `${JSON.stringify(full)}\n`)
  }

  /** The JSON record of `destination` alone (not its log), or null when there is none usable. */
  private readRecord(destination: string): ChainRecord | null {
    try {
      const text = readFileSync(`${this.baseName(destination)}.json`, 'utf8')
      const parsed = recordSchema.safeParse(JSON.parse(text))
      return parsed.success && parsed.data.destination === destination ? parsed.data : null
    } catch {
      return null
    }
  }

  /** Forget the record of `destination` (its next backup is full). */
  forget(destination: string): void {
    const base = this.baseName(destination)
    for (const suffix of ['.json', '.log']) rmSync(`${base}${suffix}`, { force: true })
  }

  /**
   * The key of the block hashes (SipHash-2-4, HASH_BYTES long), derived from
   * the record key, for the thread that hashes a database's blocks
   * (block-hash-worker.ts).
   */
  blockHashKey(): Buffer {
    const key = Buffer.alloc(sodium.crypto_shorthash_KEYBYTES)
    sodium.crypto_generichash(key, Buffer.from('cairn block hash key'), this.recordKey())
    return key
  }

  private hashLog(log: Uint8Array): string {
    const out = Buffer.alloc(32)
    sodium.crypto_generichash(out, log, this.recordKey())
    return out.toString('hex')
  }

  private baseName(destination: string): string {
    return join(this.dir, createHash('sha256').update(destination).digest('hex').slice(0, 24))
  }

  private ensureDir(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    chmodSync(this.dir, 0o700)
  }

  /** The random local key; a new one (and so, no usable records) when it is missing or damaged. */
  private recordKey(): Buffer {
    if (this.key) return this.key
    const path = join(this.dir, 'record-key')
    try {
      const bytes = readFileSync(path)
      if (bytes.length === 32) return (this.key = bytes)
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error
    }
    // A new key lives in memory until a record is saved with it: a backup that fails leaves the
    // profile as it was.
    this.unsavedKey = true
    return (this.key = randomBytes(32))
  }

  private persistKey(): void {
    if (!this.unsavedKey || !this.key) return
    writeFileAtomicSync(join(this.dir, 'record-key'), this.key)
    this.unsavedKey = false
  }
}
