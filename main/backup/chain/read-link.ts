import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import { HashingPassThrough } from '../archive/hashing.js'
import {
  isDatabase,
  MANIFEST_NAME,
  MAX_MANIFEST_BYTES,
  SECRETS_NAME,
  type Manifest,
  type ManifestFile,
} from '../archive/manifest.js'
import { corrupt, discard, parseManifest, printable, readSmall } from '../archive/read-archive.js'
import type { ChainAssembly } from './assembly.js'
import { BLOCK_SIZE, isIncremental, pageEntryName, REMOVED_NAME } from './chain-format.js'

/** The account secrets entry is a few kilobytes; a larger one is not Cairn's. */
const MAX_SECRETS_BYTES = 16 * 1024 * 1024
const MAX_REMOVED_BYTES = 64 * 1024 * 1024

export interface ReadLinkOptions {
  /** The profile being assembled, newest link first: what of this link lands, and where. */
  assembly: ChainAssembly
  /** Called with the manifest before anything is written; throw to refuse the link. */
  onManifest?: (manifest: Manifest) => void
  onBytes?: (n: number) => void
  onSecrets?: (bytes: Buffer) => void
}

/**
 * Read one incremental link's tar stream into a chain assembly (newer links
 * already in it), trusting nothing in it. Its entries must be, in this
 * order: the manifest (an incremental link's); the files it holds whole
 * (those whose `link` is this link), each once, of the size and hash the
 * manifest says; the removed list, exactly as the manifest says; then every
 * block the manifest's `pages` lists, in that order, each one block long
 * (the last block of a file may be shorter, ending the file exactly), of a
 * file an earlier link holds, and never past the file's size; their hash
 * must match. Anything else, anything missing, and anything extra is
 * refused. Every byte is checked; the assembly decides which of them land.
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
  let here = 0
  try {
    for await (const entry of extract) {
      const { header } = entry
      const name = header.name
      if (header.type !== 'file') throw corrupt(`it contains a non-file entry "${printable(name)}"`)
      if (!manifest) {
        if (name !== MANIFEST_NAME) throw corrupt('its first entry is not the Cairn manifest')
        const parsed = parseManifest(await readSmall(entry, MAX_MANIFEST_BYTES, 'its manifest'))
        if (!isIncremental(parsed.chain)) throw corrupt('it is not an incremental link')
        here = parsed.chain.index
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
          if (!isDatabase(group.path))
            throw corrupt(
              `it carries blocks of "${printable(group.path)}", which is not a database`,
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
        await readWhole(entry as unknown as Readable, options, file, here)
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
      options.assembly.block(next.path, here, next.block, bytes)
      options.onBytes?.(length)
    }
    await feeding
  } catch (error) {
    input.destroy()
    throw error
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

/** A whole file of this link: written when the assembly wants it, checked in any case. */
async function readWhole(
  entry: Readable,
  options: ReadLinkOptions,
  file: ManifestFile,
  index: number,
): Promise<void> {
  const hasher = new HashingPassThrough(options.onBytes)
  const writes = options.assembly.writesWhole(file, index)
  await pipeline(entry, hasher, writes ? options.assembly.wholeSink(file) : discard())
  if (hasher.bytes !== file.size || hasher.digest() !== file.sha256)
    throw corrupt(`"${printable(file.path)}" does not match its manifest (damaged)`)
  if (options.assembly.holdsWhole(file.path, index)) options.assembly.wholeRead(file)
}
