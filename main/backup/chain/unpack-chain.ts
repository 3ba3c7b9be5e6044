import { createHash } from 'node:crypto'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import tar from 'tar-stream'
import { CairnError, isCairnError } from '../../shared/errors.js'
import { hashFile } from '../archive/hashing.js'
import {
  isDatabase,
  MANIFEST_NAME,
  MAX_MANIFEST_BYTES,
  SECRETS_NAME,
  type Manifest,
  type ManifestFile,
} from '../archive/manifest.js'
import { corrupt, parseManifest, readArchive, readSmall } from '../archive/read-archive.js'
import type { BackupSource } from '../destination/backup-source.js'
import type { ByteRange } from '../destination/destination.js'

import type { BackupKey } from '../key/backup-key.js'
import { openBackupStream } from '../pipeline/open-backup.js'
import { integrityCheck, type DatabaseCheck } from '../restore/check-database.js'
import { earlyFlusher } from '../restore/flush-early.js'
import { explain, unpackBackup, type UnpackOptions } from '../restore/unpack.js'
import { ChainAssembly } from './assembly.js'
import { isIncremental, type ManifestChain } from './chain-format.js'
import { readLink } from './read-link.js'

/**
 * Unpack a backup, whichever kind: a full backup as always (unpackBackup);
 * an incremental link by assembling its chain in `targetDir` — the full
 * backup its manifest names, then every later link in order, each found in
 * the same destination by the SHA-256 the final manifest records for it
 * and checked on the way (hash, chain, position, profile, key) — then the
 * result is held against the final manifest (every file's size and
 * SHA-256, nothing more) and each database against SQLite's integrity
 * check. A missing, damaged, reordered or foreign link is refused with a
 * message naming it; nothing is written outside `targetDir`.
 */
export async function unpackAny(options: UnpackOptions): Promise<Manifest> {
  // A backup its sidecar calls full is read once, as always; one that turns out to be a link
  // (its sidecar missing or wrong) is refused by that reader before it writes anything, and
  // read as a link. Only a link's manifest is read ahead, to find its chain.
  const sidecar =
    options.sidecar !== undefined
      ? options.sidecar
      : await options.source.readSidecar().catch(() => null)
  if (sidecar?.kind !== 'incremental') {
    try {
      return await unpackBackup(options)
    } catch (error) {
      if (!isCairnError(error, 'BACKUP_INCREMENTAL')) throw error
    }
  }
  const head = await readHeadManifest(options.source, options.key, options.expectedFingerprint)
  if (!head || !isIncremental(head.chain)) return unpackBackup(options)
  return unpackChain(options, head, head.chain)
}

/** The manifest of a backup alone (its first entry), without reading the rest. */
export async function readHeadManifest(
  source: BackupSource,
  key: BackupKey,
  expectedFingerprint?: string | null,
  range?: ByteRange,
): Promise<Manifest> {
  const encrypted = await source.read(range)
  // Only the first entry is read: on this thread, whatever the backup's size.
  const plain = openBackupStream(encrypted, key, { size: 0 })
  const extract = tar.extract()
  // A failure to decrypt ends the listing too (pipe alone would leave it waiting).
  plain.on('error', (error) => (extract as unknown as Readable).destroy(error))
  encrypted.on('error', (error) => (extract as unknown as Readable).destroy(error))
  plain.pipe(extract as unknown as NodeJS.WritableStream)
  try {
    for await (const entry of extract) {
      if (entry.header.name !== MANIFEST_NAME || entry.header.type !== 'file')
        throw corrupt('its first entry is not the Cairn manifest')
      return parseManifest(await readSmall(entry, MAX_MANIFEST_BYTES, 'its manifest'))
    }
    throw corrupt('it is empty')
  } catch (error) {
    throw explain(error, { key, expectedFingerprint: expectedFingerprint ?? null })
  } finally {
    plain.unpipe()
    plain.destroy()
    encrypted.destroy()
    ;(extract as unknown as Readable).destroy()
  }
}

async function unpackChain(
  options: UnpackOptions,
  head: Manifest,
  chain: ManifestChain,
): Promise<Manifest> {
  options.onManifest?.(head)
  const listing = await options.source.siblings()
  const named = (index: number) => {
    const link = chain.links[index] as ManifestChain['links'][number]
    return `link ${index} of the chain (made on ${link.createdAt})`
  }
  // Every earlier link, found by its hash (names and sidecars are plaintext: they only point).
  const sources: { source: BackupSource; label: string; sha256: string; size: number }[] = []
  for (const [index, link] of chain.links.entries()) {
    const entry =
      listing.find((e) => e.complete && e.sidecar?.sha256 === link.sha256) ??
      listing.find((e) => e.sidecar?.sha256 === link.sha256)
    if (entry && !entry.complete)
      throw broken(
        `${named(index)} (${entry.name}) is damaged: its size is not the one it was written with (truncated). ` +
          `This backup (${options.source.name}) needs it: restore an earlier link, or a full backup.`,
      )
    const source = entry ? options.source.sibling(entry.name) : null
    if (!entry || !source)
      throw broken(
        `${named(index)} is not in ${options.source.location.replace(/[^/\\]*$/, '') || 'the destination'}: ` +
          `this backup (${options.source.name}) needs it. Restore a full backup, or a link of a complete chain (cairn list shows them).`,
      )
    sources.push({
      source,
      label: `${named(index)}, ${entry.name}`,
      sha256: link.sha256,
      size: entry.size,
    })
  }
  // Databases are always written out; the rest as the caller asks.
  const assembly = new ChainAssembly(
    options.targetDir,
    head,
    (file) => options.write?.(file) ?? true,
  )
  // Reading stops everywhere at the first failure (the other reader's streams are destroyed).
  const stop = new AbortController()
  // Each file's check starts once it is final: for the full backup's databases, while the
  // rest of it (the attachments) still unpacks.
  const checks: Promise<void>[] = []
  const settled = new Set<string>()
  const flusher = options.flushEarly ? earlyFlusher() : null
  const finish = (file: ManifestFile) => {
    if (file.path === SECRETS_NAME || settled.has(file.path) || stop.signal.aborted) return
    settled.add(file.path)
    const check = checkFinal(options.targetDir, file, assembly, options.databaseCheck)
    check.catch(() => undefined) // awaited below; a failure elsewhere may come first
    checks.push(check)
    // Final: its disk writes can start now, beside its check and the rest of the unpacking.
    if (assembly.isOnDisk(file)) flusher?.add(join(options.targetDir, ...file.path.split('/')))
  }
  const settle = (index: number) => {
    for (const file of head.files) if (file.link === index) finish(file)
  }
  let linksRead = false
  const afterLinks: ManifestFile[] = []
  const readLinks = async () => {
    // This backup first, then the links before it, newest first: see ChainAssembly.
    const links = [
      ...sources.slice(1).map((link, offset) => ({ ...link, index: offset + 1 })),
      {
        source: options.source,
        label: `this backup (${options.source.name})`,
        sha256: null,
        size: listing.find((e) => e.name === options.source.name)?.size ?? null,
        index: chain.index,
      },
    ].reverse()
    for (const link of links) {
      stop.signal.throwIfAborted()
      const hash = createHash('sha256')
      const isLast = link.index === chain.index
      const manifest = await inLink(link.label, () =>
        readEncrypted(
          link.source,
          options,
          link.size,
          stop.signal,
          (chunk) => {
            hash.update(chunk)
            if (isLast) options.onEncrypted?.(chunk)
          },
          (plain) =>
            readLink(plain, {
              assembly,
              ...(options.onBytes ? { onBytes: options.onBytes } : {}),
              ...(isLast && options.onSecrets ? { onSecrets: options.onSecrets } : {}),
              onManifest: (m) => checkLink(link.label, m, head, link.index, null, null),
            }),
        ),
      )
      checkLink(link.label, manifest, head, link.index, hash.digest('hex'), link.sha256)
      settle(link.index)
    }
    linksRead = true
    for (const file of afterLinks.splice(0)) finish(file)
  }
  // The full backup, read at the same time: its files are final once the links are read too.
  const readFull = async () => {
    const first = sources[0] as (typeof sources)[number]
    const fullHash = createHash('sha256')
    const full = await inLink(first.label, () =>
      readEncrypted(
        first.source,
        options,
        first.size,
        stop.signal,
        (chunk) => fullHash.update(chunk),
        (plain) =>
          readArchive(plain, {
            targetDir: options.targetDir,
            write: (file) => assembly.writesWhole(file, 0),
            sink: (file) => assembly.wholeSink(file),
            onManifest: (m) => checkLink(first.label, m, head, 0, null, null),
            // A file is final once written, a database once the links (its blocks) are read too.
            onFileDone: (file) => {
              if (!assembly.holdsWhole(file.path, 0)) return
              assembly.wholeRead(file)
              const last = assembly.headFile(file.path) as ManifestFile
              if (isDatabase(file.path) && !linksRead) afterLinks.push(last)
              else finish(last)
            },
            ...(options.onBytes ? { onBytes: options.onBytes } : {}),
          }),
      ),
    )
    checkLink(first.label, full, head, 0, fullHash.digest('hex'), first.sha256)
    // Every entry matched its listing (or reading would have failed).
    for (const file of full.files)
      if (assembly.holdsWhole(file.path, 0) && !settled.has(file.path)) assembly.wholeRead(file)
  }
  const failFast = <T>(promise: Promise<T>) =>
    promise.catch((error: unknown) => {
      stop.abort(error)
      throw error
    })
  const readers = [failFast(readLinks()), failFast(readFull())]
  try {
    await Promise.all(readers)
    // The full backup's files; and any file no link gave, which fails its check.
    for (const file of head.files) finish(file)
    await Promise.all(checks)
    return head
  } catch (error) {
    // Both readers stopped and every check started has ended before staging may go.
    await Promise.allSettled(readers)
    await Promise.allSettled(checks)
    // (The first failure: the one that stopped the other reader.)
    throw error
  } finally {
    assembly.close()
    // No file handle outlives the unpacking (staging may be removed next).
    await flusher?.settled()
    for (const { source } of sources) await source.close()
  }
}

/**
 * Decrypt one backup of the chain and hand its tar stream to `read`; `onEncrypted`
 * sees every encrypted byte (its hash). Stops when `signal` aborts (the other reader failed).
 */
async function readEncrypted<T>(
  source: BackupSource,
  options: UnpackOptions,
  size: number | null,
  signal: AbortSignal,
  onEncrypted: (chunk: Buffer) => void,
  read: (plain: Readable) => Promise<T>,
): Promise<T> {
  const encrypted = await source.read()
  encrypted.on('data', onEncrypted)
  const plain = openBackupStream(encrypted, options.key, { size })
  const abort = () =>
    plain.destroy(signal.reason instanceof Error ? signal.reason : new Error('stopped'))
  signal.addEventListener('abort', abort, { once: true })
  try {
    return await read(plain)
  } catch (error) {
    throw explain(error, options)
  } finally {
    signal.removeEventListener('abort', abort)
    plain.destroy()
  }
}

/** A link must be the one the final manifest names: same chain, place, profile, key, time and hash. */
function checkLink(
  label: string,
  manifest: Manifest,
  head: Manifest,
  index: number,
  actualSha256: string | null,
  expectedSha256: string | null,
): void {
  const chain = head.chain as ManifestChain
  const reasons: string[] = []
  if (manifest.chain?.id !== chain.id) reasons.push('it belongs to another chain')
  else if (manifest.chain.index !== index)
    reasons.push(`it is link ${manifest.chain.index}, not link ${index} (out of order)`)
  if (manifest.profileId !== head.profileId)
    reasons.push(`it is a backup of another profile (${manifest.profileId})`)
  if (manifest.keyFingerprint !== head.keyFingerprint)
    reasons.push(`it was encrypted to another key (${manifest.keyFingerprint ?? 'unknown'})`)
  const expectedLinks = chain.links.slice(0, index)
  if (index < chain.index && manifest.createdAt !== chain.links[index]?.createdAt)
    reasons.push(`it was made on ${manifest.createdAt}, not ${chain.links[index]?.createdAt}`)
  if (index > 0 && JSON.stringify(manifest.chain?.links) !== JSON.stringify(expectedLinks))
    reasons.push('the links it follows are not those of this chain')
  if (actualSha256 && expectedSha256 && actualSha256 !== expectedSha256)
    reasons.push('its bytes are not those the chain recorded (damaged or replaced)')
  if (reasons.length > 0)
    throw broken(`${label} cannot be used: ${reasons.join('; ')}. Nothing was changed.`)
}

/**
 * One file of the assembled profile, once final, against the last link's
 * manifest: its size and SHA-256 (read again when blocks were applied to it;
 * else the hash its holding link's manifest gave it, which its bytes were
 * checked against as they streamed), and SQLite's integrity check for a
 * database (beside the hashing). Only the head's files were written.
 */
async function checkFinal(
  targetDir: string,
  file: ManifestFile,
  assembly: ChainAssembly,
  depth: DatabaseCheck,
): Promise<void> {
  const state = assembly.settle(file)
  const path = join(targetDir, ...file.path.split('/'))
  const onDisk = assembly.isOnDisk(file)
  const [sha256, result] = await Promise.all([
    state.patched
      ? hashFile(path).catch(() => null)
      : onDisk && state.sha256
        ? measured(path, file, state.sha256)
        : state.sha256,
    isDatabase(file.path) && onDisk && (state.patched || state.sha256)
      ? integrityCheck(path, depth)
      : 'ok',
  ])
  if (sha256 === null)
    throw broken(
      `The chain does not give ${file.path}, which its last link lists. Nothing was changed.`,
    )
  if (sha256 !== file.sha256)
    throw broken(
      `Assembled from its chain, ${file.path} does not match the last link's manifest: a link is damaged. Nothing was changed.`,
    )
  if (result !== 'ok')
    throw new CairnError(
      'BACKUP_CORRUPT',
      `Assembled from its chain, the database ${file.path} fails SQLite's integrity check (${result.slice(0, 300)}).`,
    )
}

/** A file written whole and checked as it was: `sha256` while it has its size, null when gone. */
function measured(path: string, file: ManifestFile, sha256: string): string | null {
  try {
    return statSync(path).size === file.size ? sha256 : 'its size changed'
  } catch {
    return null
  }
}

/** Errors while reading a link name the link. */
async function inLink<T>(label: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (
      isCairnError(error) &&
      !error.message.startsWith('Link ') &&
      error.code !== 'BACKUP_CHAIN_BROKEN'
    )
      throw new CairnError(error.code, `${capitalize(label)}: ${error.message}`, { cause: error })
    throw error
  }
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1)

function broken(message: string): CairnError {
  return new CairnError('BACKUP_CHAIN_BROKEN', capitalize(message))
}
