import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { backupName } from '../../main/backup/destination/names'
import { readSidecar } from '../../main/backup/destination/sidecar'
import { DEFAULT_RETENTION } from '../../main/backup/destination/retention'
import { runBackup } from '../../main/backup/run-backup'
import { verifyBackup } from '../../main/backup/verify'
import { generateBackupKey, type BackupKey } from '../../main/backup/key/backup-key'
import { backupFiles, setUpBackupKey } from '../support/backup-fixtures'
import { runCli } from '../support/cli'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

function backUpAt(
  profile: { dir: string; id: string },
  key: BackupKey,
  dest: string,
  at: Date,
  retention = false,
) {
  return runBackup({
    profileDir: profile.dir,
    destination: dest,
    recipient: key.recipient,
    keyFingerprint: key.fingerprint,
    profileId: profile.id,
    retention: retention ? DEFAULT_RETENTION : null,
    now: () => at,
  })
}

describe('the backup folder', () => {
  it('two profiles backing up into one folder in the same second keep both backups', async () => {
    const [a, b] = await Promise.all([makeProfile({ messages: 8 }), makeProfile({ messages: 5 })])
    const keyA = generateBackupKey()
    const keyB = generateBackupKey()
    const dest = tempDir()
    const second = new Date('2026-11-27T05:15:00.000Z')
    const [ra, rb] = await Promise.all([
      backUpAt(a, keyA, dest, second),
      backUpAt(b, keyB, dest, second),
    ])
    expect(new Set([ra.name, rb.name]).size).toBe(2)
    expect([ra.name, rb.name].sort()).toEqual([
      'cairn-backup-20261127T051500Z-1.tar.zst.age',
      'cairn-backup-20261127T051500Z.tar.zst.age',
    ])
    expect(backupFiles(dest)).toHaveLength(2)
    for (const [result, key, profile] of [
      [ra, keyA, a],
      [rb, keyB, b],
    ] as const) {
      expect(readSidecar(`${result.path}.json`)).toMatchObject({
        file: result.name,
        profileId: profile.id,
      })
      await expect(verifyBackup(result.path, key)).resolves.toMatchObject({
        level: 'full',
        profileId: profile.id,
      })
    }
    // A third in the same second takes the next free name.
    const third = await backUpAt(a, keyA, dest, second)
    expect(third.name).toBe('cairn-backup-20261127T051500Z-2.tar.zst.age')
    expect(
      readdirSync(dest).filter((n) => n.endsWith('.partial') || n.includes('.partial.')),
    ).toEqual([])
  })

  it('after the clock has been ahead, retention keeps the new backups (and the newest real one)', async () => {
    const profile = await makeProfile({ messages: 3 })
    const key = generateBackupKey()
    const dest = tempDir()
    // Three backups made while the clock said 2030.
    for (const day of [1, 2, 3])
      await backUpAt(profile, key, dest, new Date(Date.UTC(2030, 0, day, 12)), true)
    // The clock is right again: three more runs on one day.
    const real: string[] = []
    for (const hour of [10, 12, 14]) {
      const result = await backUpAt(
        profile,
        key,
        dest,
        new Date(Date.UTC(2026, 10, 20, hour)),
        true,
      )
      expect(result.deleted).toEqual([])
      real.push(result.name)
    }
    const left = backupFiles(dest).map((f) => f.split('/').pop())
    for (const name of real) expect(left).toContain(name)
    expect(left).toHaveLength(6)
  })

  it('retention keeps the backup just made and its chain, whatever planted sidecars say', async () => {
    const profile = await makeProfile({ messages: 3 })
    const key = generateBackupKey()
    const dest = tempDir()
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 27, 5, minute))
    const full = await backUpAt(profile, key, dest, at(0))
    const link = await backUpAt(profile, key, dest, at(1))
    expect([full.kind, link.kind]).toEqual(['full', 'incremental'])
    // Whoever can write to the folder plants "full backups" of this profile, later in the very
    // second of the next run: by their sidecars, the three newest, so the last 3 and the newest
    // of the day, week and month.
    const sidecar = JSON.parse(readFileSync(`${link.path}.json`, 'utf8')) as Record<string, unknown>
    for (const sequence of [1, 2, 3]) {
      const name = backupName(at(2), sequence)
      writeFileSync(join(dest, name), 'x')
      writeFileSync(
        join(dest, `${name}.json`),
        JSON.stringify({
          ...sidecar,
          file: name,
          size: 1,
          kind: 'full',
          chainIndex: 0,
          base: null,
          parent: null,
          parentSha256: null,
        }),
      )
    }
    const newest = await backUpAt(profile, key, dest, at(2), true)
    expect(newest).toMatchObject({ name: backupName(at(2)), kind: 'incremental', deleted: [] })
    // What the newest backup needs, known from this run and the profile's record, stays.
    expect(readdirSync(dest)).toEqual(expect.arrayContaining([full.name, link.name, newest.name]))
    expect(newest.keptForChains).toEqual([
      { name: link.name, neededBy: newest.name },
      { name: full.name, neededBy: newest.name },
    ])
  })

  it('a crash between naming the backup and writing its sidecar: the next run completes it', async () => {
    const profile = await makeProfile({ messages: 4 })
    const { key } = setUpBackupKey(profile.dir)
    const dest = tempDir()
    const killed = await runCli(['backup', '--profile', profile.dir, '--to', dest], {
      build: 'test',
      env: { CAIRN_TEST_KILL_AT_STEP: 'backup-claimed' },
    })
    expect(killed.signal).toBe('SIGKILL')
    const [crashed] = backupFiles(dest) as [string]
    expect(readdirSync(dest)).not.toContain(`${crashed.split('/').pop()}.json`)
    // The next run (a second later, another name) completes the one the crash left.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const next = await runCli(['backup', '--profile', profile.dir, '--to', dest, '--no-retention'])
    expect(next.code).toBe(0)
    const listed = JSON.parse((await runCli(['list', '--to', dest, '--json'])).stdout)
    expect(listed).toHaveLength(2)
    expect(listed.every((b: { complete: boolean }) => b.complete)).toBe(true)
    expect(readdirSync(dest).filter((n) => n.includes('.partial'))).toEqual([])
    await expect(verifyBackup(crashed, key)).resolves.toMatchObject({ level: 'full' })
  })
})
