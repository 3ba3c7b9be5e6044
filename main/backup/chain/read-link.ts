import { createHash } from 'node:crypto'
import {
  closeSync,
  createWriteStream,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import { HashingPassThrough } from '../archive/hashing.js'
import {
  MANIFEST_NAME,
  MAX_MANIFEST_BYTES,
  SECRETS_NAME,
  type Manifest,
  type ManifestFile,
} from '../archive/manifest.js'
import { corrupt, parseManifest, printable, readSmall } from '../archive/read-archive.js'
import { BLOCK_SIZE, isIncremental, pageEntryName, REMOVED_NAME } from './chain-format.js'

/** The account secrets entry is a few kilobytes; a larger one is not Cairn's. */
const MAX_SECRETS_BYTES = 16 * 1024 * 1024
const MAX_REMOVED_BYTES = 64 * 1024 * 1024

export interface ReadLinkOptions {
  /** The staging folder holding the profile as the earlier links left it. */
  targetDir: string
  /** Called with the manifest before anything is written; throw to refuse the link. */
  onManifest?: (manifest: Manifest) => void
  onBytes?: (n: number) => void
  onSecrets?: (bytes: Buffer) => void
}

/**
 * Apply one incremental link's tar stream onto a profile assembled from the
 * earlier links of its chain, trusting nothing in it. Its entries must be,
 * in this order: the manifest (an incremental link's); the files it holds
 * whole (those whose `link` is this link), each once, of the size and hash
 * the manifest says (written beside and renamed over the earlier copy);
 * the removed list, exactly as the manifest says; then every block the
 * manifest's `pages` lists, in that order, each one block long (the last
 * block of a file may be shorter, ending the file exactly), of a file an
 * earlier link holds, and never past the file's size; their hash must match.
 * Anything else, anything missing, and anything extra is refused.
 */
export async function readLink(input: Readable, options: ReadLinkOptions): Promise<Manifest> {
  const extract = tar.extract()
  const feeding = pipeline(input, extract as unknown as NodeJS.WritableStream)
  feeding.catch(() => undefined) // reported through the iteration below
  let manifest: Manifest | null = null
  // What must come, in order, after the manifest.
  let whole = new Map<string, ManifestFile>()
  let removedSeen = false
  let pageQueue: { path: string; block: number; file: ManifestFile }[] = []
  let pageAt = 0
  const pageHashes = new Map<string, ReturnType<typeof createHash>>()
  const blocks = new BlockWriter(options.targetDir)
  try {
    for await (const entry of extract) {
      const { header } = entry
      const name = header.name
      if (header.type !== 'file') throw corrupt(`it contains a non-file entry "${printable(name)}"`)
      if (!manifest) {
        if (name !== MANIFEST_NAME) throw corrupt('its first entry is not the Cairn manifest')
        const parsed = parseManifest(await readSmall(entry, MAX_MANIFEST_BYTES, 'its manifest'))
        if (!isIncremental(parsed.chain)) throw corrupt('it is not an incremental link')
        const here = parsed.chain.index
        const byPath = new Map<string, ManifestFile>()
        for (const file of parsed.files) {
          if (byPath.has(file.path.toLowerCase()))
            throw corrupt(`its manifest lists "${printable(file.path)}" twice`)
          byPath.set(file.path.toLowerCase(), file)
          if (file.link === undefined || file.link > here)
            throw corrupt(
              `its manifest names a link ${file.link ?? '(none)'} for "${printable(file.path)}" that is not in its chain up to it`,
            )
        }
        whole = new Map(parsed.files.filter((f) => f.link === here).map((f) => [f.path, f]))
        for (const group of parsed.chain.pages) {
          const file = byPath.get(group.path.toLowerCase())
          if (!file || file.path !== group.path)
            throw corrupt(
              `it carries blocks of "${printable(group.path)}", which its manifest does not list`,
            )
          if ((file.link ?? here) >= here)
            throw corrupt(
              `it carries blocks of "${printable(group.path)}", which no earlier link holds`,
            )
          let last = -1
          for (const block of group.blocks) {
            if (block <= last)
              throw corrupt(`its blocks of "${printable(group.path)}" are out of order`)
            if (block * BLOCK_SIZE >= file.size)
              throw corrupt(
                `it carries block ${block} of "${printable(group.path)}", past the end of the file (${file.size} bytes)`,
              )
            last = block
            pageQueue.push({ path: group.path, block, file })
          }
          pageHashes.set(group.path, createHash('sha256'))
        }
        options.onManifest?.(parsed)
        manifest = parsed
        continue
      }
      if (whole.has(name)) {
        const file = whole.get(name) as ManifestFile
        whole.delete(name)
        if (removedSeen) throw corrupt(`"${printable(name)}" comes after the removed list`)
        if (header.size !== file.size)
          throw corrupt(
            `"${printable(name)}" is ${header.size ?? 0} bytes, but its manifest says ${file.size}`,
          )
        if (name === SECRETS_NAME) {
          const bytes = await readSmall(entry, MAX_SECRETS_BYTES, 'its account secrets entry')
          if (createHash('sha256').update(bytes).digest('hex') !== file.sha256)
            throw corrupt(`"${SECRETS_NAME}" does not match its manifest (damaged)`)
          options.onSecrets?.(bytes)
          continue
        }
        await writeWhole(entry as unknown as Readable, options, file)
        continue
      }
      if (name === REMOVED_NAME && !removedSeen) {
        if (whole.size > 0)
          throw corrupt(`it ends its whole files before "${printable([...whole.keys()][0] ?? '')}"`)
        const text = (await readSmall(entry, MAX_REMOVED_BYTES, 'its removed list')).toString(
          'utf8',
        )
        const expected = manifest.chain?.removed.map((p) => `${p}\n`).join('') ?? ''
        if (text !== expected) throw corrupt('its removed list does not match its manifest')
        removedSeen = true
        continue
      }
      const next = pageQueue[pageAt]
      if (!removedSeen || !next || name !== pageEntryName(next.path, next.block))
        throw corrupt(`it contains "${printable(name)}", which its manifest does not list there`)
      pageAt++
      const length = Math.min(BLOCK_SIZE, next.file.size - next.block * BLOCK_SIZE)
      if (header.size !== length)
        throw corrupt(
          `its block ${next.block} of "${printable(next.path)}" is ${header.size ?? 0} bytes, not ${length}`,
        )
      const bytes = await readSmall(entry, BLOCK_SIZE, `its block ${next.block}`)
      if (bytes.length !== length)
        throw corrupt(`its block ${next.block} of "${printable(next.path)}" is truncated`)
      pageHashes.get(next.path)?.update(bytes)
      blocks.write(next.path, next.block, bytes)
      options.onBytes?.(length)
    }
    await feeding
  } catch (error) {
    input.destroy()
    throw error
  } finally {
    blocks.close()
  }
  if (!manifest) throw corrupt('it is empty')
  if (whole.size > 0 || !removedSeen || pageAt < pageQueue.length)
    throw corrupt('it ends before everything its manifest lists: truncated')
  for (const group of manifest.chain?.pages ?? [])
    if (pageHashes.get(group.path)?.digest('hex') !== group.sha256)
      throw corrupt(`its blocks of "${printable(group.path)}" do not match its manifest (damaged)`)
  pageQueue = []
  return manifest
}

/** A whole file of this link, written beside the earlier copy and renamed over it once it matched. */
async function writeWhole(
  entry: Readable,
  options: ReadLinkOptions,
  file: ManifestFile,
): Promise<void> {
  const path = join(options.targetDir, ...file.path.split('/'))
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const temporary = `${path}.cairn-link`
  rmSync(temporary, { force: true })
  const hasher = new HashingPassThrough(options.onBytes)
  try {
    await pipeline(entry, hasher, createWriteStream(temporary, { flags: 'wx', mode: 0o600 }))
    if (hasher.bytes !== file.size || hasher.digest() !== file.sha256)
      throw corrupt(`"${printable(file.path)}" does not match its manifest (damaged)`)
    renameSync(temporary, path)
  } catch (error) {
    rmSync(temporary, { force: true })
    throw error
  }
}

/** The files a link patches, each opened once for all its blocks. */
class BlockWriter {
  private readonly open = new Map<string, number>()

  constructor(private readonly targetDir: string) {}

  write(path: string, block: number, bytes: Buffer): void {
    let fd = this.open.get(path)
    if (fd === undefined) {
      try {
        fd = openSync(join(this.targetDir, ...path.split('/')), 'r+')
      } catch {
        throw corrupt(
          `it carries blocks of "${printable(path)}", which the earlier links did not give`,
        )
      }
      this.open.set(path, fd)
    }
    let done = 0
    while (done < bytes.length)
      done += writeSync(fd, bytes, done, bytes.length - done, block * BLOCK_SIZE + done)
  }

  close(): void {
    for (const fd of this.open.values()) closeSync(fd)
    this.open.clear()
  }
}
