import { chmodSync, lstatSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { snapshotFolder } from '../../main/backup/snapshot/profile-checks'
import { snapshotSqlite } from '../../main/backup/snapshot/sqlite-snapshot'
import { openMailDb } from '../../main/mail/db/connection'
import { openProfile } from '../../main/profile/profile'
import { backupFiles, setUpBackupKey } from '../support/backup-fixtures'
import { runCli } from '../support/cli'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

/** Every folder and file of a profile with its mode (links are not expected). */
function modes(dir: string): { path: string; kind: 'dir' | 'file'; mode: number }[] {
  const found: { path: string; kind: 'dir' | 'file'; mode: number }[] = [
    { path: '.', kind: 'dir', mode: lstatSync(dir).mode & 0o777 },
  ]
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name)
    const kind = entry.isDirectory() ? 'dir' : 'file'
    found.push({ path: path.slice(dir.length + 1), kind, mode: lstatSync(path).mode & 0o777 })
  }
  return found
}

function expectPrivate(dir: string): void {
  const all = modes(dir)
  expect(all.some((e) => e.path === 'mail.sqlite')).toBe(true)
  expect(all.some((e) => e.path.startsWith('attachments/') && e.kind === 'file')).toBe(true)
  for (const e of all)
    expect({ path: e.path, mode: e.mode.toString(8) }).toEqual({
      path: e.path,
      mode: e.kind === 'dir' ? '700' : '600',
    })
}

describe('the profile is private to its owner', () => {
  it('a new profile: folders 0700, files 0600 (database and its -wal/-shm, attachments, settings)', async () => {
    const profile = await makeProfile({ messages: 10 })
    const p = openProfile(profile.dir)
    const db = openMailDb(p.paths.database) // the -wal and -shm exist while it is open
    try {
      expect(modes(profile.dir).map((e) => e.path)).toEqual(
        expect.arrayContaining([
          'mail.sqlite-wal',
          'mail.sqlite-shm',
          'settings.json',
          'cairn.lock',
        ]),
      )
      expectPrivate(profile.dir)
    } finally {
      db.close()
      p.close()
    }
  })

  it('a profile made by an earlier version (0755 folders, 0644 files) is made private when opened', async () => {
    const profile = await makeProfile({ messages: 10 })
    for (const e of modes(profile.dir))
      chmodSync(join(profile.dir, e.path), e.kind === 'dir' ? 0o755 : 0o644)
    expect(lstatSync(join(profile.dir, 'mail.sqlite')).mode & 0o777).toBe(0o644)
    openProfile(profile.dir).close()
    expectPrivate(profile.dir)
  })

  it('a restored profile is private too', async () => {
    const profile = await makeProfile({ messages: 5 })
    const { keyFile } = setUpBackupKey(profile.dir)
    const dest = tempDir()
    expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
    const target = join(tempDir(), 'restored')
    expect(
      (
        await runCli([
          'restore',
          backupFiles(dest)[0] as string,
          '--profile',
          target,
          '--key-file',
          keyFile,
        ])
      ).code,
    ).toBe(0)
    expectPrivate(target)
  })

  it('the copy of a busy database a backup makes in the cache is 0600 too, whatever the umask', async () => {
    const profile = await makeProfile({ messages: 3 })
    const file = join(profile.dir, 'mail.sqlite')
    const db = openMailDb(file)
    const reader = openMailDb(file, { readonly: true })
    const umask = process.umask(0)
    try {
      // A reader holding WAL frames: the backup cannot freeze the file and copies it instead.
      db.exec('CREATE TABLE pinned (x); INSERT INTO pinned VALUES (1)')
      reader.exec('BEGIN')
      reader.prepare('SELECT count(*) FROM pinned').get()
      const snapshot = await snapshotSqlite(file, join(snapshotFolder(profile.dir), 'mail.sqlite'))
      try {
        expect(snapshot.method).toBe('copy')
        expect((lstatSync(snapshot.path).mode & 0o777).toString(8)).toBe('600')
      } finally {
        snapshot.release()
      }
    } finally {
      process.umask(umask)
      reader.exec('ROLLBACK')
      reader.close()
      db.close()
    }
  })
})
