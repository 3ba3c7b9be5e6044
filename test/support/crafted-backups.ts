import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { formatKeyAge, type BackupKey } from '../../main/backup/key/backup-key'
import { writeEncryptedArchive } from './crypto-fixtures'
import { manifestFor, tarOf, type FakeEntry } from './hostile-archives'
import { tempDir } from './temp'

/**
 * The entries of a backup, in archive order, read with the standard tools
 * alone (age -d | zstd -d | tar -x), the manifest first.
 */
export function readWithStandardTools(file: string, key: BackupKey): [string, Buffer][] {
  const work = tempDir()
  const identity = join(work, 'key.txt')
  writeFileSync(identity, `${formatKeyAge(key.secret)}\n`, { mode: 0o600 })
  const out = join(work, 'out')
  execFileSync('mkdir', [out])
  execFileSync('bash', ['-c', `age -d -i "${identity}" "${file}" | zstd -dq | tar -x -C "${out}"`])
  const manifest = JSON.parse(readFileSync(join(out, 'cairn-manifest.json'), 'utf8')) as {
    files: { path: string }[]
  }
  const entries: [string, Buffer][] = [
    ['cairn-manifest.json', readFileSync(join(out, 'cairn-manifest.json'))],
    ...manifest.files.map((f): [string, Buffer] => [f.path, readFileSync(join(out, f.path))]),
  ]
  // What tar wrote (the account secrets too, when there are any) does not stay on disk.
  rmSync(work, { recursive: true, force: true })
  return entries
}

/** The manifest of entries read by readWithStandardTools. */
export function manifestOf(entries: [string, Buffer][]): Record<string, unknown> {
  return JSON.parse((entries[0] as [string, Buffer])[1].toString()) as Record<string, unknown>
}

/**
 * A backup file encrypted to `key`, as Cairn writes one (manifest first,
 * describing every file that follows), but holding whatever `files` say:
 * what anyone who knows the public recipient can make.
 */
export async function craftBackup(
  path: string,
  key: BackupKey,
  files: [string, Buffer][],
  manifest: Record<string, unknown> = {},
  extra: FakeEntry[] = [],
): Promise<string> {
  const listed = files.filter(([name]) => name !== 'cairn-manifest.json')
  const tar = await tarOf([
    { name: 'cairn-manifest.json', content: manifestFor(Object.fromEntries(listed), manifest) },
    ...listed.map(([name, content]) => ({ name, content })),
    ...extra,
  ])
  await writeEncryptedArchive(path, tar, key)
  return path
}
