import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  readBackupSettings,
  writeBackupSettings,
  type BackupSettings,
} from '../../main/backup/backup-settings'
import { runBackup } from '../../main/backup/run-backup'
import { runBackupInWorker } from '../../main/backup/schedule/run-in-worker'
import { BackupScheduler, type RunOutcome } from '../../main/backup/schedule/scheduler'
import { openProfile, type Profile } from '../../main/profile/profile'
import { isCairnError } from '../../main/shared/errors'
import { backupFiles, setUpBackupKey } from '../support/backup-fixtures'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

async function setUp(settings: Partial<BackupSettings>, run = runBackup) {
  const made = await makeProfile({ messages: 6 })
  setUpBackupKey(made.dir)
  const profile = openProfile(made.dir)
  writeBackupSettings(profile, (current) => ({ ...(current as BackupSettings), ...settings }))
  let now = new Date(2026, 10, 27, 9, 0)
  const runs: string[] = []
  const scheduler = new BackupScheduler({
    profileDir: made.dir,
    profileId: made.id,
    settings: () => readBackupSettings(profile),
    record: (update) => writeBackupSettings(profile, (s) => s && { ...s, ...update }),
    run: (request) => {
      runs.push(now.toISOString())
      return run({ ...request, now: () => now })
    },
    now: () => now,
    checkEveryMs: 3_600_000, // the tests trigger checks themselves with wake()
  })
  const finished = () =>
    new Promise<RunOutcome>((resolve) => {
      const off = scheduler.events.on('finished', (outcome) => {
        off()
        resolve(outcome)
      })
    })
  return {
    profile,
    scheduler,
    runs,
    finished,
    advance: (ms: number) => (now = new Date(now.getTime() + ms)),
  }
}

const closeAll = async (scheduler: BackupScheduler, profile: Profile) => {
  await scheduler.stop()
  profile.close()
}

describe('backup scheduler', () => {
  it('makes up a missed daily run once, at start, and then waits for the next slot', async () => {
    const dest = tempDir()
    const { profile, scheduler, runs, finished, advance } = await setUp({
      destination: dest,
      schedule: { kind: 'daily', time: '02:00' },
      lastSuccessAt: new Date(2026, 10, 24, 2, 5).toISOString(), // three days ago
    })
    const done = finished()
    scheduler.start()
    expect((await done).ok).toBe(true)
    expect(runs).toHaveLength(1)
    expect(backupFiles(dest)).toHaveLength(1)
    scheduler.wake()
    advance(3 * 3_600_000) // noon: not due again until tomorrow 02:00
    scheduler.wake()
    expect(runs).toHaveLength(1)
    expect(new Date(scheduler.status().nextDueAt as string)).toEqual(new Date(2026, 10, 28, 2, 0))
    advance(15 * 3_600_000) // 03:00 the next day
    const second = finished()
    scheduler.wake()
    expect((await second).ok).toBe(true)
    expect(runs).toHaveLength(2)
    await closeAll(scheduler, profile)
  })

  it('runs one backup at a time', async () => {
    const dest = tempDir()
    const { profile, scheduler, finished } = await setUp({ destination: dest, schedule: null })
    const done = finished()
    const first = scheduler.backupNow()
    expect(() => scheduler.backupNow()).toThrow(/already running/)
    expect(scheduler.status().running).toBe(true)
    expect((await first).ok).toBe(true)
    await done
    expect(scheduler.status().running).toBe(false)
    await closeAll(scheduler, profile)
  })

  it('retries a failing backup with a growing delay, and records the error', async () => {
    const root = tempDir()
    const dest = join(root, 'drive')
    const { profile, scheduler, runs, finished, advance } = await setUp({
      destination: dest,
      schedule: { kind: 'interval', hours: 24 },
      lastSuccessAt: null,
    })
    let outcome = finished()
    scheduler.start()
    expect(await outcome).toMatchObject({ ok: false, error: { code: 'BACKUP_DESTINATION' } })
    expect(readBackupSettings(profile)?.lastError).toMatch(/does not exist/)
    expect(scheduler.status().consecutiveFailures).toBe(1)
    advance(4 * 60_000) // before the 5-minute retry: nothing
    scheduler.wake()
    expect(runs).toHaveLength(1)
    advance(2 * 60_000)
    outcome = finished()
    scheduler.wake()
    expect((await outcome).ok).toBe(false)
    expect(runs).toHaveLength(2)
    advance(6 * 60_000) // second retry waits 10 minutes
    scheduler.wake()
    expect(runs).toHaveLength(2)
    mkdirSync(dest) // the drive is back
    advance(5 * 60_000)
    outcome = finished()
    scheduler.wake()
    expect((await outcome).ok).toBe(true)
    expect(scheduler.status().consecutiveFailures).toBe(0)
    expect(readBackupSettings(profile)).toMatchObject({
      lastError: null,
      lastSuccessAt: expect.any(String),
    })
    expect(readdirSync(dest).filter((n) => n.endsWith('.age'))).toHaveLength(1)
    await closeAll(scheduler, profile)
  })

  it('runs the backup in a worker thread, reporting progress', async () => {
    const dest = tempDir()
    const { profile, scheduler, finished } = await setUp(
      { destination: dest, schedule: null },
      runBackupInWorker,
    )
    const progress: number[] = []
    scheduler.events.on('progress', (p) => progress.push(p.bytesDone))
    const done = finished()
    void scheduler.backupNow()
    const outcome = await done
    expect(outcome.ok).toBe(true)
    expect(progress.length).toBeGreaterThan(0)
    expect(backupFiles(dest)).toHaveLength(1)
    await closeAll(scheduler, profile)
  })

  it('says clearly when there is nothing to back up to', async () => {
    const { profile, scheduler } = await setUp({ destination: null })
    let error: unknown
    try {
      scheduler.backupNow()
    } catch (e) {
      error = e
    }
    expect(isCairnError(error, 'BACKUP_DESTINATION')).toBe(true)
    expect(scheduler.status().nextDueAt).toBeNull()
    await closeAll(scheduler, profile)
  })
})
