import { randomBytes } from 'node:crypto'
import type { ManifestFile } from '../archive/manifest.js'
import type { DestinationBackup } from '../destination/destination.js'
import { BLOCK_SIZE, type BackupKind } from './chain-format.js'
import type { LoadedRecord } from './page-record.js'
import type { ScannedDatabase } from './scan-database.js'

/** When a chain ends and the next backup is full again. */
export interface ChainPolicy {
  /** Links per chain, the full included (default 7: with daily backups, a full a week). */
  maxLinks: number
  /** Age of the chain's full backup after which the next backup is full (default 7 days). */
  maxAgeDays: number
  /** A link that would carry more than this share of the profile's bytes is made full instead. */
  maxChangedShare: number
}

export const DEFAULT_CHAIN_POLICY: ChainPolicy = {
  maxLinks: 7,
  maxAgeDays: 7,
  maxChangedShare: 0.5,
}

export interface LinkPlan {
  kind: BackupKind
  /** Why this backup is full (for the result and the log); null for an incremental. */
  reason: string | null
  chainId: string
  index: number
  /** The earlier links of the chain (empty for a full). */
  previous: { name: string; createdAt: string; sha256: string }[]
  /** Every file of the profile, with the link holding it whole (only set for an incremental). */
  files: ManifestFile[]
  /** Changed blocks to carry, per database (an incremental). */
  pages: { path: string; blocks: number[] }[]
  removed: string[]
  /** The block hashes the record gets after this backup. */
  recordChanges: { path: string; block: number; hash: Buffer }[]
  /** Uncompressed bytes this link carries. */
  carriedBytes: number
}

export interface PlanInput {
  record: LoadedRecord | null
  forceFull: boolean
  policy: ChainPolicy
  now: Date
  /** The destination's listing (to tell whether it still holds every link of the chain). */
  listing: readonly DestinationBackup[]
  profileId: string
  keyFingerprint: string
  /** Every file of the snapshot as the manifest lists it (no `link`), secrets entry included. */
  files: ManifestFile[]
  databases: ScannedDatabase[]
  /** Entries that always travel whole (the secrets entry): never compared with the record. */
  alwaysCarried: ReadonlySet<string>
}

/**
 * Full or incremental, and for an incremental what it carries: a database's
 * changed blocks (keyed hashes against the record), and whole any other file
 * that is new or changed. Full when asked, without a usable record (lost,
 * damaged, another key or profile), when the chain is long or old, when a
 * link of the chain is gone from the destination, when a database shrank,
 * changed page size or schema (a VACUUM or a migration rewrites it), or when
 * the changes pass the policy's share of a full backup.
 */
export function planLink(input: PlanInput): LinkPlan {
  const full = (reason: string): LinkPlan => ({
    kind: 'full',
    reason,
    chainId: randomBytes(16).toString('hex'),
    index: 0,
    previous: [],
    files: input.files,
    pages: [],
    removed: [],
    recordChanges: input.databases.flatMap((db) =>
      db.hashes.map((hash, block) => ({ path: db.path, block, hash })),
    ),
    carriedBytes: input.files.reduce((sum, f) => sum + f.size, 0),
  })
  if (input.forceFull) return full('a full backup was asked for')
  const loaded = input.record
  if (!loaded) return full('there is no record of an earlier backup to this destination')
  const { record, blocks } = loaded
  if (record.profileId !== input.profileId || record.keyFingerprint !== input.keyFingerprint)
    return full('the profile or its backup key changed since the last backup here')
  if (record.links.length === 0) return full('the record holds no chain')
  if (record.links.length >= input.policy.maxLinks)
    return full(`the chain has ${record.links.length} links`)
  const started = new Date(record.links[0]?.createdAt ?? 0).getTime()
  if (input.now.getTime() - started >= input.policy.maxAgeDays * 86_400_000)
    return full(`the chain's full backup is older than ${input.policy.maxAgeDays} days`)
  for (const link of record.links) {
    const held = input.listing.find((entry) => entry.name === link.name)
    if (!held || !held.complete || held.sidecar?.sha256 !== link.sha256)
      return full(`the destination no longer holds ${link.name}, a link of the chain`)
  }

  const index = record.links.length
  const recorded = new Map(record.files.map((f) => [f.path, f]))
  const scanned = new Map(input.databases.map((db) => [db.path, db]))
  const pages: LinkPlan['pages'] = []
  const recordChanges: LinkPlan['recordChanges'] = []
  let carriedBytes = 0
  for (const db of record.databases) {
    const now = scanned.get(db.path)
    if (!now) return full(`the database ${db.path} is gone`)
    if (now.size < db.size) return full(`the database ${db.path} shrank (compacted)`)
    if (now.pageSize !== db.pageSize || now.schemaCookie !== db.schemaCookie)
      return full(`the database ${db.path} changed its schema or page size`)
  }
  const files: ManifestFile[] = []
  for (const file of input.files) {
    const before = recorded.get(file.path)
    const db = scanned.get(file.path)
    const old = db ? blocks.get(file.path) : undefined
    if (db && old && before) {
      const changed: number[] = []
      db.hashes.forEach((hash, block) => {
        const was = old[block]
        if (!was || !was.equals(hash)) {
          changed.push(block)
          recordChanges.push({ path: db.path, block, hash })
        }
      })
      if (changed.length > 0) pages.push({ path: db.path, blocks: changed })
      carriedBytes += changed.reduce(
        (sum, block) => sum + Math.min(BLOCK_SIZE, db.size - block * BLOCK_SIZE),
        0,
      )
      files.push({ ...file, link: before.link })
      continue
    }
    const unchanged =
      !input.alwaysCarried.has(file.path) &&
      before !== undefined &&
      before.size === file.size &&
      before.sha256 === file.sha256
    if (unchanged) files.push({ ...file, link: before.link })
    else {
      files.push({ ...file, link: index })
      carriedBytes += file.size
      if (db) db.hashes.forEach((hash, block) => recordChanges.push({ path: db.path, block, hash }))
    }
  }
  const total = input.files.reduce((sum, f) => sum + f.size, 0)
  if (carriedBytes > input.policy.maxChangedShare * total)
    return full(
      `the changes (${carriedBytes} bytes) pass ${Math.round(input.policy.maxChangedShare * 100)}% of a full backup`,
    )
  const present = new Set(input.files.map((f) => f.path))
  return {
    kind: 'incremental',
    reason: null,
    chainId: record.chainId,
    index,
    previous: record.links,
    files,
    pages,
    removed: record.files.map((f) => f.path).filter((p) => !present.has(p)),
    recordChanges,
    carriedBytes,
  }
}
