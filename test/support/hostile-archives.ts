import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import tar from 'tar-stream'

export interface FakeEntry {
  name: string
  content?: Buffer
  type?: 'file' | 'symlink' | 'link' | 'directory' | 'character-device' | 'fifo'
  linkname?: string
  /** Size written in the tar header, when it should differ from the content. */
  size?: number
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

/** A manifest describing `files` (path → content), as Cairn writes it. */
export function manifestFor(
  files: Record<string, Buffer>,
  overrides: Record<string, unknown> = {},
): Buffer {
  return Buffer.from(
    JSON.stringify({
      format: 'cairn-backup',
      formatVersion: 1,
      appVersion: '0.1.0',
      schemaVersion: 1,
      profileId: 'p',
      createdAt: '2026-11-27T00:00:00.000Z',
      files: Object.entries(files).map(([path, content]) => ({
        path,
        size: content.length,
        sha256: sha256(content),
      })),
      ...overrides,
    }),
  )
}

/** A tar stream of exactly these entries, in order, whatever they say. */
export async function tarOf(entries: FakeEntry[]): Promise<Buffer> {
  const pack = tar.pack()
  const done = (async () => {
    const parts: Buffer[] = []
    for await (const part of pack as unknown as AsyncIterable<Buffer>) parts.push(part)
    return Buffer.concat(parts)
  })()
  for (const e of entries) {
    const type = e.type ?? 'file'
    const content = e.content ?? Buffer.alloc(0)
    await new Promise<void>((resolve, reject) => {
      const header = {
        name: e.name,
        type,
        linkname: e.linkname,
        size: type === 'file' ? (e.size ?? content.length) : 0,
        mode: 0o600,
      }
      if (type === 'file' && e.size !== undefined && e.size !== content.length) {
        // A header that lies about the size: write the header and as many bytes as claimed.
        const padded = Buffer.alloc(e.size)
        content.copy(padded)
        pack.entry(header, padded, (err) => (err ? reject(err) : resolve()))
      } else if (type === 'file')
        pack.entry(header, content, (err) => (err ? reject(err) : resolve()))
      else pack.entry(header, Buffer.alloc(0), (err) => (err ? reject(err) : resolve()))
    })
  }
  pack.finalize()
  return done
}

export const streamOf = (bytes: Buffer) => Readable.from([bytes])
