import Database from 'better-sqlite3'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SCHEMA_VERSION } from '../../main/mail/db/migrations'
import { backupFiles, messageCount, setUpBackupKey } from '../support/backup-fixtures'
import { runCli } from '../support/cli'
import { craftBackup, manifestOf, readWithStandardTools } from '../support/crafted-backups'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

/** A database that passes SQLite's integrity check but is not a Cairn mailbox of its schema. */
function foreignDatabase(
  userVersion: number,
  tables = 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)',
): Buffer {
  const path = join(tempDir(), 'other.sqlite')
  const db = new Database(path)
  db.exec(tables)
  db.pragma(`user_version = ${userVersion}`)
  db.close()
  return readFileSync(path)
}

/** A genuine mailbox whose header claims another schema version. */
function withUserVersion(database: Buffer, version: number): Buffer {
  const copy = Buffer.from(database)
  copy.writeUInt32BE(version, 60)
  return copy
}

describe('restore and verify refuse a backup that would not give a working profile', () => {
  async function setUp() {
    const profile = await makeProfile({ messages: 6 })
    const { key, keyFile } = setUpBackupKey(profile.dir)
    const dest = tempDir()
    expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
    const entries = readWithStandardTools(backupFiles(dest)[0] as string, key)
    const manifest = manifestOf(entries)
    const files = new Map(entries.slice(1))
    return { profile, key, keyFile, files, manifest }
  }

  type Files = Map<string, Buffer>
  const cases: [string, (files: Files) => [string, Buffer][], Record<string, unknown>, RegExp][] = [
    [
      'invalid settings.json',
      (f) => [...f].map(([n, c]) => [n, n === 'settings.json' ? Buffer.from('{"version": 1,') : c]),
      {},
      /its settings\.json is not valid JSON/,
    ],
    [
      'settings.json of another shape',
      (f) => [...f].map(([n, c]) => [n, n === 'settings.json' ? Buffer.from('{"version": 1}') : c]),
      {},
      /its settings\.json is not valid \(profileId: /,
    ],
    [
      'a cairn.lock inside',
      (f) => [...f, ['cairn.lock', Buffer.from('{"pid":1,"host":"x"}')]],
      {},
      /it contains "cairn\.lock", which a Cairn backup never holds/,
    ],
    [
      "a database's -wal file",
      (f) => [...f, ['mail.sqlite-wal', Buffer.alloc(32)]],
      {},
      /it contains "mail\.sqlite-wal", which a Cairn backup never holds/,
    ],
    [
      'a cache',
      (f) => [...f, ['cache/thumbs.bin', Buffer.alloc(8)]],
      {},
      /it contains "cache\/thumbs\.bin", which a Cairn backup never holds/,
    ],
    [
      'a database of another schema',
      (f) => [...f].map(([n, c]) => [n, n === 'mail.sqlite' ? foreignDatabase(SCHEMA_VERSION) : c]),
      {},
      /its mail\.sqlite is not a Cairn mailbox of schema \d+ \(no (table|index) \w+\)/,
    ],
    [
      'a newer user_version than the manifest admits',
      (f) =>
        [...f].map(([n, c]) => [
          n,
          n === 'mail.sqlite' ? withUserVersion(c, SCHEMA_VERSION + 1) : c,
        ]),
      {},
      /comes from a newer version of Cairn \(mailbox schema \d+; this version reads up to \d+\)/,
    ],
    [
      'no mail.sqlite',
      (f) => [...f].filter(([n]) => n !== 'mail.sqlite'),
      {},
      /it has no mail\.sqlite, so it would not give a working profile/,
    ],
    ['an empty manifest', () => [], {}, /it holds no profile files \(its manifest is empty\)/],
    [
      'settings.json nested too deeply to be written back',
      (f) =>
        [...f].map(([n, c]) => [
          n,
          n === 'settings.json'
            ? Buffer.from(
                `${c.toString().trimEnd().slice(0, -1)}, "deep": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
              )
            : c,
        ]),
      {},
      /its settings\.json is nested too deeply/,
    ],
    [
      'a file listed where another file needs a folder',
      (f) => [
        ...f,
        ['attachments/note', Buffer.from('a')],
        ['attachments/note/x', Buffer.from('b')],
      ],
      {},
      /lists "attachments\/note" both as a file and as a folder/,
    ],
    // The manifest's creation time is shown (wizard, terminal) and compared (time travel, chains).
    [
      'a creation time that is not a time',
      (f) => [...f],
      { createdAt: 'last Tuesday' },
      /its manifest is invalid \(createdAt: not a time as Cairn writes one/,
    ],
    [
      'a creation time on no day of the calendar (30 February)',
      (f) => [...f],
      { createdAt: '2026-02-30T10:00:00.000Z' },
      /its manifest is invalid \(createdAt: not a time as Cairn writes one/,
    ],
    [
      'a creation time that goes on with a terminal escape',
      (f) => [...f],
      { createdAt: '2026-11-27T00:00:00.000Z\u001b[2K\rOK: all is well' },
      /its manifest is invalid \(createdAt: not a time as Cairn writes one/,
    ],
    [
      'a creation time before any clock (year 1)',
      (f) => [...f],
      { createdAt: '0001-01-01T00:00:00.000Z' },
      /its manifest is invalid \(createdAt: not a time as Cairn writes one/,
    ],
    [
      'a name too long for any filesystem',
      (f) => [...f, [`attachments/${'n'.repeat(256)}`, Buffer.from('a')]],
      {},
      /a name longer than 255 bytes/,
    ],
  ]

  for (const [what, change, overrides, message] of cases) {
    it(`${what}: refused before the swap, by restore and by verify --key-file`, async () => {
      const { profile, key, keyFile, files, manifest } = await setUp()
      const crafted = await craftBackup(
        join(tempDir(), 'crafted.tar.zst.age'),
        key,
        change(files),
        {
          profileId: manifest.profileId,
          createdAt: manifest.createdAt,
          schemaVersion: manifest.schemaVersion,
          ...overrides,
        },
      )
      const restored = await runCli([
        'restore',
        crafted,
        '--profile',
        profile.dir,
        '--key-file',
        keyFile,
      ])
      expect(restored.code, restored.stdout).toBe(1)
      expect(restored.stderr).toMatch(message)
      expect(messageCount(profile.dir)).toBe(6)
      // Nothing left beside the profile: no staging, no *.failed-restore-*.
      expect(readdirSync(join(profile.dir, '..'))).toEqual(['profile'])
      const verified = await runCli(['verify', crafted, '--key-file', keyFile])
      expect(verified.code, verified.stdout).toBe(1)
      expect(verified.stderr).toMatch(message)
    })
  }

  it('a backup Cairn made passes the same checks', async () => {
    const { profile, keyFile } = await setUp()
    const dest = tempDir()
    expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
    const real = await runCli(['verify', backupFiles(dest)[0] as string, '--key-file', keyFile])
    expect(real.stderr).toBe('')
    expect(real.stdout).toMatch(
      /^OK: .* decrypts with the key .*; it is the backup of .* \(profile .*, 6 messages, \d+ files\)/,
    )
  })
})
