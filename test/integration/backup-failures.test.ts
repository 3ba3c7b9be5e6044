import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseBackupKey } from '../../main/backup/key/backup-key'
import { restoreBackup } from '../../main/backup/restore/restore'
import { verifyBackup } from '../../main/backup/verify'
import { storeAttachment } from '../../main/mail/attachment-store'
import { SCHEMA_VERSION } from '../../main/mail/db/migrations'
import { openProfile } from '../../main/profile/profile'
import { isCairnError } from '../../main/shared/errors'
import { backUp, backupFiles, messageCount, setUpBackupKey } from '../support/backup-fixtures'
import { runCli } from '../support/cli'
import { flipByte, writeEncryptedArchive } from '../support/crypto-fixtures'
import { manifestFor, tarOf } from '../support/hostile-archives'
import { mountTmpfs, remount } from '../support/mounts'
import { makeProfile } from '../support/profiles'
import { damageTableRoot } from '../support/sqlite-damage'
import { tempDir } from '../support/temp'

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

async function backedUpProfile(messages = 12) {
  const profile = await makeProfile({ messages })
  const { key, keyFile } = setUpBackupKey(profile.dir)
  const dest = tempDir()
  const result = await backUp(profile, key, dest)
  return { profile, key, keyFile, dest, file: result.path }
}

async function expectRestoreRefused(
  file: string,
  profileDir: string,
  keyText: string,
  message: RegExp,
  count: number,
) {
  const error = await restoreBackup({ file, key: parseBackupKey(keyText), profileDir }).catch(
    (e: unknown) => e,
  )
  expect(isCairnError(error), String(error)).toBe(true)
  expect((error as Error).message).toMatch(message)
  // Nothing lost, nothing left behind.
  expect(messageCount(profileDir)).toBe(count)
  expect(readdirSync(join(profileDir, '..')).sort()).toEqual(['profile'])
}

describe('damaged backups', () => {
  it('one flipped byte anywhere: the sidecar check catches it, and the contents check refuses it', async () => {
    const { profile, key, keyFile, file } = await backedUpProfile()
    const original = readFileSync(file)
    const positions = [0, 10, 50, 100, 150, 200, 250]
    for (let i = 0; i < 25; i++) positions.push(Math.floor(Math.random() * original.length))
    positions.push(original.length - 1, original.length - 17)
    const damaged = join(tempDir(), 'damaged.tar.zst.age')
    for (const position of positions) {
      flipByte(damaged, original, position)
      // Without its sidecar nothing vouches for it, so the contents are checked with the key.
      const error = await verifyBackup(damaged, key).catch((e: unknown) => e)
      expect(isCairnError(error), `flip at ${position}: ${String(error)}`).toBe(true)
      expect((error as { code: string }).code, `flip at ${position}`).toMatch(
        /BACKUP_CORRUPT|KEY_MISMATCH/,
      )
    }
    // In place, beside its sidecar, the check without a key already fails.
    flipByte(file, original, Math.floor(original.length / 2))
    const quick = await runCli(['verify', file])
    expect(quick.code).toBe(1)
    expect(quick.stderr).toMatch(
      /no longer matches the checksum it was written with: it is damaged/,
    )
    await expectRestoreRefused(file, profile.dir, readFileSync(keyFile, 'utf8'), /damaged/, 12)
  })

  it('truncated at and between chunk boundaries: refused, nothing changed', async () => {
    const { profile, keyFile, file } = await backedUpProfile(30)
    const original = readFileSync(file)
    const payloadStart = original.indexOf('\n', original.indexOf('\n---') + 1) + 1 + 16
    const sealed = 64 * 1024 + 16
    const cuts = [
      20,
      payloadStart - 3,
      payloadStart,
      payloadStart + 100,
      payloadStart + sealed,
      payloadStart + sealed + 1,
      original.length - 1,
    ]
    const target = join(tempDir(), 'cut.tar.zst.age')
    for (const cut of cuts.filter((c) => c < original.length)) {
      writeFileSync(target, original.subarray(0, cut))
      await expectRestoreRefused(
        target,
        profile.dir,
        readFileSync(keyFile, 'utf8'),
        /damaged|incomplete|truncated|cannot be used/,
        30,
      )
    }
  })

  it('a hostile archive encrypted to the right key is refused by `cairn restore`, the profile untouched', async () => {
    const { profile, key, keyFile } = await backedUpProfile(5)
    const evil = Buffer.from('owned')
    const cases: [string, Parameters<typeof tarOf>[0], RegExp][] = [
      [
        'traversal',
        [
          {
            name: 'cairn-manifest.json',
            content: manifestFor({ 'mail.sqlite': evil, 'settings.json': evil }),
          },
          { name: '../escaped', content: evil },
        ],
        /unsafe path/,
      ],
      [
        'symlink',
        [
          {
            name: 'cairn-manifest.json',
            content: manifestFor({ 'mail.sqlite': evil, 'settings.json': evil }),
          },
          { name: 'mail.sqlite', type: 'symlink', linkname: '/etc/passwd' },
        ],
        /symbolic link/,
      ],
      [
        'absolute',
        [
          {
            name: 'cairn-manifest.json',
            content: manifestFor({ 'mail.sqlite': evil, 'settings.json': evil }),
          },
          { name: '/tmp/cairn-escaped', content: evil },
        ],
        /unsafe path/,
      ],
      [
        'oversized',
        [
          {
            name: 'cairn-manifest.json',
            content: manifestFor({ 'mail.sqlite': evil, 'settings.json': evil }),
          },
          { name: 'mail.sqlite', content: randomBytes(4096) },
        ],
        /but its manifest says/,
      ],
      [
        'not a database',
        [
          {
            name: 'cairn-manifest.json',
            content: manifestFor({ 'mail.sqlite': evil, 'settings.json': evil }),
          },
          { name: 'mail.sqlite', content: evil },
          { name: 'settings.json', content: evil },
        ],
        /integrity check/,
      ],
    ]
    for (const [name, entries, message] of cases) {
      const file = join(tempDir(), `${name}.tar.zst.age`)
      await writeEncryptedArchive(file, await tarOf(entries), key)
      const result = await runCli([
        'restore',
        file,
        '--profile',
        profile.dir,
        '--key-file',
        keyFile,
      ])
      expect(result.code, name).toBe(1)
      expect(result.stderr, name).toMatch(message)
      expect(messageCount(profile.dir)).toBe(5)
      expect(readdirSync(join(profile.dir, '..')).sort()).toEqual(['profile'])
      expect(existsSync(join(profile.dir, '..', '..', 'escaped'))).toBe(false)
      expect(existsSync('/tmp/cairn-escaped')).toBe(false)
    }
  })

  it('a mailbox whose b-tree was already damaged when it was backed up is refused by restore and by verify', async () => {
    const { profile, key, keyFile } = await backedUpProfile(5)
    const source = await makeProfile({ messages: 300 })
    // Damage the mailbox itself, so its hash in the manifest matches.
    damageTableRoot(join(source.dir, 'mail.sqlite'), 'messages')
    const mailbox = readFileSync(join(source.dir, 'mail.sqlite'))
    const settings = readFileSync(join(source.dir, 'settings.json'))
    const file = join(tempDir(), 'damaged.tar.zst.age')
    const files = { 'mail.sqlite': mailbox, 'settings.json': settings }
    await writeEncryptedArchive(
      file,
      await tarOf([
        { name: 'cairn-manifest.json', content: manifestFor(files) },
        ...Object.entries(files).map(([name, content]) => ({ name, content })),
      ]),
      key,
    )
    const restored = await runCli([
      'restore',
      file,
      '--profile',
      profile.dir,
      '--key-file',
      keyFile,
    ])
    expect(restored.code).toBe(1)
    expect(restored.stderr).toMatch(/its database mail\.sqlite fails SQLite's integrity check/)
    expect(messageCount(profile.dir)).toBe(5)
    expect(readdirSync(join(profile.dir, '..')).sort()).toEqual(['profile'])
    const verified = await runCli(['verify', file, '--key-file', keyFile])
    expect(verified.code).toBe(1)
    expect(verified.stderr).toMatch(/fails SQLite's integrity check/)
  })

  it('a backup from a newer Cairn (newer mailbox schema) is refused with a clear message', async () => {
    const { profile, key } = await backedUpProfile(2)
    // A profile as a newer Cairn would leave it.
    const newer = join(tempDir(), 'newer')
    mkdirSync(newer)
    const db = new Database(join(newer, 'mail.sqlite'))
    db.exec('CREATE TABLE future (x)')
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    const newerProfile = openProfile(newer)
    const id = newerProfile.id
    newerProfile.close()
    const result = await backUp({ dir: newer, id }, key)
    await expectRestoreRefused(
      result.path,
      profile.dir,
      Buffer.from(key.secret).toString('hex'),
      /comes from a newer version of Cairn \(mailbox schema \d+; this version reads up to \d+\)\. Update Cairn/,
      2,
    )
  })
})

describe('the backup folder', () => {
  it('full disk: the backup fails with a clear message, leaves no partial file, and older backups stay intact', async () => {
    const dest = mountTmpfs({ sizeBytes: 2 * 1024 * 1024 })
    const profile = await makeProfile({ messages: 5, attachmentBytes: 1000 })
    const { key } = setUpBackupKey(profile.dir)
    expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
    const [older] = backupFiles(dest)
    const olderHash = sha(older as string)
    // The profile grows past what the disk can hold (incompressible attachments).
    const p = openProfile(profile.dir)
    storeAttachment(p.paths.attachments, randomBytes(3 * 1024 * 1024))
    p.close()
    const result = await runCli(['backup', '--profile', profile.dir, '--to', dest])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /The backup folder .* is full\. The unfinished backup was removed and older backups are untouched/,
    )
    expect(readdirSync(dest).sort()).toEqual([
      (older as string).split('/').pop(),
      `${(older as string).split('/').pop()}.json`,
    ])
    expect(sha(older as string)).toBe(olderHash)
    await expect(verifyBackup(older as string, key)).resolves.toMatchObject({ level: 'full' })
  })

  it('read-only folder: a clear message and nothing written', async () => {
    const dest = mountTmpfs({ sizeBytes: 1024 * 1024 })
    remount(dest, 'ro')
    const profile = await makeProfile({ messages: 2 })
    setUpBackupKey(profile.dir)
    const result = await runCli(['backup', '--profile', profile.dir, '--to', dest])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /cannot write to the backup folder .* \(it is read-only or you lack permission\)/,
    )
  })

  it('full disk while restoring: the restore fails, the live profile is untouched', async () => {
    const big = await makeProfile({ messages: 3 })
    const p = openProfile(big.dir)
    storeAttachment(p.paths.attachments, randomBytes(3 * 1024 * 1024))
    p.close()
    const { key, keyFile } = setUpBackupKey(big.dir)
    const dest = tempDir()
    const backup = await backUp(big, key, dest)
    // The live profile sits on a small disk with room for itself but not for the restore.
    const disk = mountTmpfs({ sizeBytes: 2 * 1024 * 1024 })
    const live = await makeProfile({ messages: 4, dir: join(disk, 'profile') })
    const result = await runCli([
      'restore',
      backup.path,
      '--profile',
      live.dir,
      '--key-file',
      keyFile,
    ])
    expect(result.code, result.stderr).toBe(1)
    // Refused before anything is written: the free space is compared with the manifest's sizes.
    expect(result.stderr).toMatch(
      /There is not enough free space to restore this backup: it needs .* and the disk holding the profile has .* free\. Your profile was not changed/,
    )
    expect(messageCount(live.dir)).toBe(4)
    expect(readdirSync(disk)).toEqual(['profile'])
  })

  it('a backup taken while the app writes is consistent', async () => {
    const profile = await makeProfile({ messages: 20 })
    const { key } = setUpBackupKey(profile.dir)
    // A writer that commits a row every few milliseconds, as a syncing app would.
    const writer = spawn(process.execPath, [
      '-e',
      `const D=require(${JSON.stringify(require.resolve('better-sqlite3'))});const db=new D(${JSON.stringify(join(profile.dir, 'mail.sqlite'))});db.pragma('journal_mode=WAL');db.pragma('busy_timeout=10000');
       const ins=db.prepare("INSERT INTO messages(folder_id,content_hash,subject,date,size,body_text) VALUES (1,?, 'live', 0, 10, ?)");
       let i=0;process.stdout.write('ready\\n');setInterval(()=>{for(let k=0;k<20;k++)ins.run('w'+(i++), 'x'.repeat(2000))},3)`,
    ])
    await new Promise((resolve) => writer.stdout.once('data', resolve))
    // The writer is writing before the first backup starts…
    for (let i = 0; i < 200 && messageCount(profile.dir) === 20; i++)
      await new Promise((resolve) => setTimeout(resolve, 10))
    expect(messageCount(profile.dir)).toBeGreaterThan(20)
    try {
      const dest = tempDir()
      const liveRows: number[] = []
      for (let round = 0; round < 3; round++) {
        const result = await backUp(profile, key, dest)
        const target = join(tempDir(), 'restored')
        await restoreBackup({ file: result.path, key, profileDir: target })
        const db = new Database(join(target, 'mail.sqlite'), { readonly: true })
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
        const { n, live } = db
          .prepare(`SELECT count(*) AS n, sum(subject = 'live') AS live FROM messages`)
          .get() as { n: number; live: number }
        db.close()
        expect(n).toBe(20 + live)
        liveRows.push(live)
        // FTS stayed in step with its table in the snapshot.
        const check = new Database(join(target, 'mail.sqlite'))
        check.exec(`INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')`)
        check.close()
      }
      // …and kept writing while the backups ran: each snapshot holds more of its rows.
      expect(liveRows[0]).toBeGreaterThan(0)
      expect(liveRows[2]).toBeGreaterThan(liveRows[0] as number)
    } finally {
      writer.kill('SIGKILL')
    }
  })
})
