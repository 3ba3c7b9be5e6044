import { createHash } from 'node:crypto'
import { createWriteStream, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { Writable, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import { CairnError } from '../../shared/errors.js'
import { INCREMENTAL_FORMAT_VERSION, isIncremental } from '../chain/chain-format.js'
import { HashingPassThrough } from './hashing.js'
import {
  isSafeRelativePath,
  MANIFEST_NAME,
  MAX_MANIFEST_BYTES,
  manifestSchema,
  SECRETS_NAME,
  type Manifest,
  type ManifestFile,
} from './manifest.js'

/** The account secrets entry is a few kilobytes; a larger one is not Cairn's. */
const MAX_SECRETS_BYTES = 16 * 1024 * 1024

export interface ReadArchiveOptions {
  /** Folder to write files into; it must exist and be empty. */
  targetDir: string
  /** Which files to write out; the others are only checked (default: all). */
  write?: (file: ManifestFile) => boolean
  /** Called with the manifest before any file is read; throw to refuse the backup. */
  onManifest?: (manifest: Manifest) => void
  onBytes?: (n: number) => void
  /** Where a written file's bytes go (default: a new file at its path, created exclusively). */
  sink?: (file: ManifestFile, path: string) => Writable
  /** Called when a written file is complete and matches the manifest. */
  onFileDone?: (file: ManifestFile, path: string) => void
  /**
   * The account secrets entry, checked against the manifest, in memory: it
   * is never written to disk, whatever `write` says.
   */
  onSecrets?: (bytes: Buffer) => void
}

/**
 * Read a backup's tar stream, trusting nothing in it. The first entry must
 * be the manifest; every other entry must be a regular file the manifest
 * lists, at a safe relative path, seen once, exactly the size the manifest
 * says, with the SHA-256 it says. Absolute paths, "..", links, devices,
 * fifos, directories, duplicates and extra entries are refused, and so is an
 * archive that ends before every listed file arrived. Files are created
 * exclusively (never overwriting, never through a link).
 */
export async function readArchive(input: Readable, options: ReadArchiveOptions): Promise<Manifest> {
  const extract = tar.extract()
  const feeding = pipeline(input, extract as unknown as NodeJS.WritableStream)
  feeding.catch(() => undefined) // reported through the iteration below
  let manifest: Manifest | null = null
  const expected = new Map<string, ManifestFile>()
  const seen = new Set<string>()
  const madeDirs = new Set<string>()
  const makeDir = (dir: string) => {
    if (madeDirs.has(dir)) return
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    madeDirs.add(dir)
  }
  try {
    for await (const entry of extract) {
      const { header } = entry
      const name = header.name
      if (header.type !== 'file')
        throw corrupt(`it contains ${describeType(header.type)} "${printable(name)}"`)
      if (!manifest) {
        if (name !== MANIFEST_NAME) throw corrupt('its first entry is not the Cairn manifest')
        manifest = parseManifest(await readSmall(entry, MAX_MANIFEST_BYTES, 'its manifest'))
        refuseIncremental(manifest)
        for (const file of manifest.files) {
          const key = file.path.toLowerCase()
          if (expected.has(key)) throw corrupt(`its manifest lists "${printable(file.path)}" twice`)
          expected.set(key, file)
        }
        options.onManifest?.(manifest)
        // Every folder a file goes into, made now, before the first write: made
        // between writes, a mkdir could wait (and block the event loop) behind the
        // journal commit of an early flush, up to 0.3 s at a time.
        for (const file of manifest.files) {
          if (file.path === SECRETS_NAME || !(options.write?.(file) ?? true)) continue
          makeDir(dirname(join(options.targetDir, ...file.path.split('/'))))
        }
        continue
      }
      if (!isSafeRelativePath(name))
        throw corrupt(`it contains an unsafe path "${printable(name)}"`)
      const key = name.toLowerCase()
      const file = expected.get(key)
      if (!file || file.path !== name)
        throw corrupt(`it contains "${printable(name)}", which its manifest does not list`)
      if (seen.has(key)) throw corrupt(`it contains "${printable(name)}" twice`)
      seen.add(key)
      if (header.size !== file.size) {
        throw corrupt(
          `"${printable(name)}" is ${header.size ?? 0} bytes, but its manifest says ${file.size}`,
        )
      }
      if (name === SECRETS_NAME) {
        const bytes = await readSmall(entry, MAX_SECRETS_BYTES, 'its account secrets entry')
        if (
          bytes.length !== file.size ||
          createHash('sha256').update(bytes).digest('hex') !== file.sha256
        )
          throw corrupt(`"${SECRETS_NAME}" does not match its manifest (damaged)`)
        options.onSecrets?.(bytes)
        continue
      }
      const hasher = new HashingPassThrough(options.onBytes)
      if (options.write?.(file) ?? true) {
        const path = join(options.targetDir, ...name.split('/'))
        makeDir(dirname(path))
        const sink =
          options.sink?.(file, path) ?? createWriteStream(path, { flags: 'wx', mode: 0o600 })
        await pipeline(entry, hasher, sink)
      } else {
        await pipeline(entry, hasher, discard())
      }
      if (hasher.bytes !== file.size || hasher.digest() !== file.sha256) {
        throw corrupt(`"${printable(name)}" does not match its manifest (damaged)`)
      }
      if (options.write?.(file) ?? true)
        options.onFileDone?.(file, join(options.targetDir, ...name.split('/')))
    }
    await feeding
  } catch (error) {
    input.destroy()
    throw notTar(error) ?? error
  }
  if (!manifest) throw corrupt('it is empty')
  const missing = manifest.files.filter((f) => !seen.has(f.path.toLowerCase()))
  if (missing.length > 0) {
    throw corrupt(
      `it ends before ${missing.length} of its files (${printable(missing[0]?.path ?? '')}${missing.length > 1 ? ', …' : ''}): truncated`,
    )
  }
  return manifest
}

/** A manifest, checked against the schema and the versions this Cairn reads. */
export function parseManifest(bytes: Buffer): Manifest {
  let json: unknown
  try {
    json = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw corrupt('its manifest is not valid JSON')
  }
  const parsed = manifestSchema.safeParse(json)
  if (!parsed.success)
    throw corrupt(
      `its manifest is invalid (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? ''})`,
    )
  if (parsed.data.formatVersion > INCREMENTAL_FORMAT_VERSION) {
    throw new CairnError(
      'BACKUP_TOO_NEW',
      `This backup was made by a newer version of Cairn (archive format ${parsed.data.formatVersion}). Update Cairn to restore it.`,
    )
  }
  return parsed.data
}

export async function readSmall(
  entry: AsyncIterable<unknown>,
  limit: number,
  what: string,
): Promise<Buffer> {
  const parts: Buffer[] = []
  let size = 0
  for await (const part of entry) {
    const bytes = part as Buffer
    size += bytes.length
    if (size > limit) throw corrupt(`${what} is too large`)
    parts.push(bytes)
  }
  return Buffer.concat(parts)
}

/** A sink that drops what it is given (an entry checked but not written). */
export function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() })
}

function describeType(type: string | null | undefined): string {
  switch (type) {
    case 'symlink':
      return 'a symbolic link'
    case 'link':
      return 'a hard link'
    case 'directory':
      return 'a directory entry'
    case 'character-device':
    case 'block-device':
      return 'a device'
    case 'fifo':
      return 'a fifo'
    default:
      return `an entry of type ${type ?? 'unknown'}`
  }
}

export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 200)
}

/** tar-stream's own failures, said as what they mean for a backup. */
function notTar(error: unknown): CairnError | null {
  const message = error instanceof Error ? error.message : ''
  if (/^(Invalid tar header|Invalid header|Header exceeds max size)/.test(message)) {
    return new CairnError(
      'BACKUP_CORRUPT',
      'This file decrypts with the key, but what it holds is not a Cairn backup (not a tar archive): ' +
        'it was not made by Cairn, or it was damaged before it was encrypted. Choose a backup file Cairn made (cairn list --to FOLDER).',
      { cause: error },
    )
  }
  if (message === 'Unexpected end of data')
    return new CairnError(
      'BACKUP_CORRUPT',
      'This backup cannot be used: its archive ends in the middle of a file (truncated before it was encrypted). Use another backup.',
      { cause: error },
    )
  return null
}

/** A link of a chain cannot be read alone: the chain reader (chain/read-link.ts) reads it. */
function refuseIncremental(manifest: Manifest): void {
  if (isIncremental(manifest.chain) || manifest.files.some((f) => f.link !== undefined)) {
    throw new CairnError(
      'BACKUP_INCREMENTAL',
      `This backup is link ${manifest.chain?.index ?? '?'} of a backup chain (an incremental backup): it is restored together with the earlier links of its chain, from the destination that holds them.`,
    )
  }
}

export function corrupt(reason: string): CairnError {
  return new CairnError('BACKUP_CORRUPT', `This backup cannot be used: ${reason}.`)
}
