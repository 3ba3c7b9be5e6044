import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import tar from 'tar-stream'
import { formatKeyAge, type BackupKey } from '../../main/backup/key/backup-key'
import { parseBackupName } from '../../main/backup/destination/names'
import { writeEncryptedArchive } from './crypto-fixtures'
import { tarOf } from './hostile-archives'
import { tempDir } from './temp'

export type Entry = { name: string; content: Buffer }

/** Every entry of a backup link in archive order (page entries included), decrypted with the age CLI. */
export async function linkEntries(file: string, key: BackupKey): Promise<Entry[]> {
  const identity = join(tempDir(), 'key.txt')
  writeFileSync(identity, `${formatKeyAge(key.secret)}\n`, { mode: 0o600 })
  const plain = execFileSync('bash', ['-c', `age -d -i "${identity}" "${file}" | zstd -dq`], {
    maxBuffer: 1 << 30,
  })
  const extract = tar.extract()
  const entries: Entry[] = []
  const done = (async () => {
    for await (const entry of extract) {
      const parts: Buffer[] = []
      for await (const part of entry) parts.push(part as Buffer)
      entries.push({ name: entry.header.name, content: Buffer.concat(parts) })
    }
  })()
  extract.end(plain)
  await done
  return entries
}

/**
 * A link written back under a new Cairn name beside the original, with a
 * sidecar copied from the original's (its name, size and hash updated): what
 * someone holding the public recipient and write access could put there.
 */
export async function writeCraftedLink(
  original: string,
  key: BackupKey,
  entries: Entry[],
  name: string,
): Promise<string> {
  const path = join(dirname(original), name)
  await writeEncryptedArchive(path, await tarOf(entries), key)
  const sidecar = JSON.parse(readFileSync(`${original}.json`, 'utf8')) as Record<string, unknown>
  const bytes = readFileSync(path)
  writeFileSync(
    `${path}.json`,
    `${JSON.stringify(
      {
        ...sidecar,
        file: basename(path),
        createdAt: (parseBackupName(basename(path)) as Date).toISOString(),
        size: statSync(path).size,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      },
      null,
      2,
    )}\n`,
  )
  return path
}

export const manifestEntry = (entries: Entry[]) =>
  JSON.parse((entries[0] as Entry).content.toString('utf8')) as {
    createdAt: string
    chain: {
      index: number
      links: { createdAt: string; sha256: string }[]
      pages: { path: string; blocks: number[]; sha256: string }[]
    }
    files: { path: string; size: number; link?: number }[]
  }

export const withManifest = (entries: Entry[], manifest: unknown): Entry[] => [
  { name: 'cairn-manifest.json', content: Buffer.from(JSON.stringify(manifest)) },
  ...entries.slice(1),
]
