import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readBackupSettings } from '../../main/backup/backup-settings'
import {
  readDestinations,
  updateDestination,
} from '../../main/backup/destination/destination-settings'
import { FolderDestination } from '../../main/backup/destination/folder/folder-destination'
import { backupName } from '../../main/backup/destination/names'
import { S3Destination } from '../../main/backup/destination/s3/s3-destination'
import { recordBackupRun } from '../../main/backup/backup-settings'
import { runBackup } from '../../main/backup/run-backup'
import { BackupScheduler, type RunOutcome } from '../../main/backup/schedule/scheduler'
import { PROFILE_TARGET } from '../../main/backup/schedule/targets'
import { createServiceContext } from '../../main/ipc/context'
import { createRouter } from '../../main/ipc/router'
import type { BackupStatus } from '../../main/ipc/services/backup'
import { openProfile } from '../../main/profile/profile'
import { openServices } from '../../main/services'
import { backupFiles, setUpBackupKey } from '../support/backup-fixtures'
import { runCli } from '../support/cli'
import { cliEnv } from '../support/engine-suite'
import { useRealKeychain } from '../support/keyring'
import { startMoto, type MotoServer } from '../support/moto'
import { makeProfile } from '../support/profiles'
import { startRelay } from '../support/tcp-relay'
import { tempDir } from '../support/temp'

const credentials = { accessKeyId: 'AKIDCAIRNTEST', secretAccessKey: 'cairn-test-secret' }
let keyring: Awaited<ReturnType<typeof useRealKeychain>>
let moto: MotoServer
let admin: S3Client
let buckets = 0

beforeAll(async () => {
  keyring = await useRealKeychain()
  moto = await startMoto()
  admin = new S3Client({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
  })
})
afterAll(async () => {
  admin?.destroy()
  await moto?.stop()
  keyring?.stop()
})

async function bucket(): Promise<string> {
  const name = `cairn-several-${++buckets}`
  await admin.send(new CreateBucketCommand({ Bucket: name }))
  return name
}

const objects = async (name: string) =>
  ((await admin.send(new ListObjectsV2Command({ Bucket: name }))).Contents ?? [])
    .map((o) => o.Key as string)
    .filter((k) => k.endsWith('.tar.zst.age'))

const cli = (args: string[], input?: string) =>
  runCli(args, { env: cliEnv(), ...(input !== undefined ? { input } : {}) })

/**
 * A profile that backs up to its folder every hour (keeping 2), to S3 every
 * night (keeping 1), and to a destination that cannot work (a bucket that
 * does not exist) every hour.
 */
async function threeDestinations() {
  const profile = await makeProfile({ messages: 6 })
  setUpBackupKey(profile.dir)
  const folder = tempDir()
  const good = await bucket()
  const add = (name: string, url: string) =>
    cli(
      [
        'destination',
        'add',
        '--profile',
        profile.dir,
        name,
        url,
        '--endpoint',
        moto.endpoint,
        '--user',
        credentials.accessKeyId,
        '--password-stdin',
        '--no-test',
      ],
      `${credentials.secretAccessKey}\n`,
    )
  expect((await add('offsite', `s3://${good}/nightly`)).code).toBe(0)
  expect((await add('broken', 's3://no-such-bucket-several/x')).code).toBe(0)
  const keep = (n: string) => [
    '--keep-last',
    n,
    '--daily-keep',
    '0',
    '--weekly-keep',
    '0',
    '--monthly-keep',
    '0',
  ]
  for (const args of [
    ['--to', folder, '--every', '1', ...keep('2')],
    ['--to', 'offsite', '--daily', '02:00', ...keep('1')],
    ['--to', 'broken', '--every', '1'],
  ]) {
    const set = await cli(['schedule', '--profile', profile.dir, ...args])
    expect(set.code, set.stderr).toBe(0)
  }
  return { profile, folder, good }
}

describe('several destinations', () => {
  it('each on its own schedule with its own retention and status; one failing does not stop the others', async () => {
    const { profile: made, folder, good } = await threeDestinations()
    const shown = await cli(['schedule', '--profile', made.dir, '--json'])
    expect(JSON.parse(shown.stdout).destinations).toMatchObject([
      { id: 'profile', kind: 'folder', location: folder, schedule: { kind: 'interval', hours: 1 } },
      { id: 'named:offsite', kind: 's3', schedule: { kind: 'daily', time: '02:00' } },
      { id: 'named:broken', kind: 's3', schedule: { kind: 'interval', hours: 1 } },
    ])
    const profile = openProfile(made.dir)
    let now = new Date(2026, 10, 27, 9, 0)
    const scheduler = new BackupScheduler({
      profileDir: made.dir,
      profileId: made.id,
      settings: () => readBackupSettings(profile),
      destinations: () => readDestinations(profile),
      record: (run, target) =>
        target.id === PROFILE_TARGET || !target.name
          ? recordBackupRun(profile, run)
          : updateDestination(profile, target.name, (entry) => ({ ...entry, ...run })),
      run: (request) => runBackup({ ...request, now: () => now }),
      now: () => now,
      random: () => 0.5,
      checkEveryMs: 3_600_000,
    })
    const outcomes: (RunOutcome & { target: string })[] = []
    scheduler.events.on('finished', (outcome) => outcomes.push(outcome))
    const settled = async (count: number) => {
      for (let i = 0; i < 600 && outcomes.length < count; i++)
        await new Promise((resolve) => setTimeout(resolve, 100))
      expect(outcomes).toHaveLength(count)
      for (let i = 0; i < 100 && scheduler.status().running; i++)
        await new Promise((resolve) => setTimeout(resolve, 20))
    }
    try {
      // 09:00, never backed up: all three are due, one after the other; the broken one fails alone.
      scheduler.start()
      await settled(3)
      expect(outcomes.map((o) => [o.target, o.ok])).toEqual([
        ['profile', true],
        ['named:offsite', true],
        ['named:broken', false],
      ])
      let status = scheduler.status()
      const byId = (id: string) => status.destinations.find((d) => d.id === id)
      expect(byId('named:broken')).toMatchObject({
        consecutiveFailures: 1,
        lastError: expect.stringMatching(
          /^Backup destination s3:\/\/no-such-bucket-several\/x\/: the bucket does not exist/,
        ) as string,
        // The retry waits 5 minutes (plus the jitter, pinned here to 5%).
        nextDueAt: new Date(now.getTime() + 5.25 * 60_000).toISOString(),
      })
      expect(byId('profile')).toMatchObject({ consecutiveFailures: 0, lastError: null })
      expect(new Date(byId('profile')?.nextDueAt as string)).toEqual(new Date(2026, 10, 27, 10, 0))
      expect(new Date(byId('named:offsite')?.nextDueAt as string)).toEqual(
        new Date(2026, 10, 28, 2, 0),
      )
      // Each record is kept where it belongs: the profile's in its backup section, the others in their entries.
      expect(readDestinations(profile).broken?.lastError).toMatch(/the bucket does not exist/)
      expect(readDestinations(profile).offsite?.lastSuccessAt).toBe(now.toISOString())
      expect(readBackupSettings(profile)).toMatchObject({
        lastError: null,
        lastSuccessAt: now.toISOString(),
      })

      // Two more hours: the folder twice (keeping 2), S3 not at all (it is nightly).
      for (const hour of [10, 11]) {
        now = new Date(2026, 10, 27, hour, 0)
        const before = outcomes.length
        scheduler.wake()
        await settled(before + 2) // the folder, and another try of the broken one
      }
      expect(outcomes.slice(3).map((o) => o.target)).toEqual([
        'profile',
        'named:broken',
        'profile',
        'named:broken',
      ])
      // Keeping 2: the two newest are links of one chain, and they need its full backup (issue 14).
      expect(backupFiles(folder)).toHaveLength(3)
      expect(await objects(good)).toHaveLength(1)
      status = scheduler.status()
      expect(byId('named:broken')?.consecutiveFailures).toBe(3)

      // The next night: S3's turn; it keeps one.
      now = new Date(2026, 10, 28, 2, 30)
      const before = outcomes.length
      scheduler.wake()
      await settled(before + 3)
      expect(outcomes.slice(before).map((o) => [o.target, o.ok])).toEqual([
        ['profile', true],
        ['named:offsite', true],
        ['named:broken', false],
      ])
      // Keeping 1: the newest, an incremental link, and the full backup it needs.
      const kept = await objects(good)
      expect(kept).toHaveLength(2)
      expect(kept).toContain(`nightly/${backupName(now)}`)
      expect(backupFiles(folder)).toHaveLength(4)
    } finally {
      await scheduler.stop()
      profile.close()
    }
  })

  it('the app’s status names every destination, and a run to one of them says which (in a worker thread)', async () => {
    const { profile: made, good } = await threeDestinations()
    const services = openServices(made.dir)
    const ctx = createServiceContext(services, {})
    try {
      await services.backups.stop() // no automatic runs while this test drives it
      const router = createRouter(ctx, { transport: 'test', log: () => undefined })
      const events: { event: string; payload: unknown }[] = []
      router.subscribe((event, payload) => events.push({ event, payload }))
      const status = (await router.call('backup.status', {})) as { ok: true; value: BackupStatus }
      expect(status.value.destinations.map((d) => [d.id, d.kind, d.running])).toEqual([
        ['profile', 'folder', false],
        ['named:offsite', 's3', false],
        ['named:broken', 's3', false],
      ])
      expect(status.value.destinations[1]).toMatchObject({
        name: 'offsite',
        location: `s3://${good}/nightly`,
        retention: { keepLast: 1 },
        lastSuccessAt: null,
      })
      expect(await router.call('backup.runNow', { destination: 'named:offsite' })).toEqual({
        ok: true,
        value: null,
      })
      for (let i = 0; i < 600 && !events.some((e) => e.event === 'backup.finished'); i++)
        await new Promise((resolve) => setTimeout(resolve, 100))
      expect(events.find((e) => e.event === 'backup.finished')?.payload).toMatchObject({
        ok: true,
        destination: 'named:offsite',
      })
      expect(await objects(good)).toHaveLength(1)
      const after = (await router.call('backup.status', {})) as { ok: true; value: BackupStatus }
      expect(after.value.destinations[1]?.lastSuccessAt).toEqual(expect.any(String))
      // The profile's own destination did not run: its fields are as they were.
      expect(after.value).toMatchObject({ lastSuccessAt: null, running: false })
    } finally {
      ctx.close()
      await services.close()
    }
  })

  it('the app’s destination control: the kinds offered, and a connection test per destination with its own verdict', async () => {
    const { profile: made } = await threeDestinations()
    const services = openServices(made.dir)
    const ctx = createServiceContext(services, {})
    try {
      await services.backups.stop()
      const router = createRouter(ctx, { transport: 'test', log: () => undefined })
      expect(await router.call('backup.destinationKinds', {})).toEqual({
        ok: true,
        value: { kinds: ['folder', 's3', 'webdav', 'sftp'] },
      })
      const test = async (destination: string) =>
        ((await router.call('backup.testConnection', { destination })) as { value: unknown }).value
      // The S3 one works with the secret from the keychain: the checks made are listed.
      expect(await test('named:offsite')).toMatchObject({
        ok: true,
        checks: expect.arrayContaining([expect.any(String)]),
      })
      expect(await test('profile')).toMatchObject({ ok: true })
      // The one whose bucket does not exist: its own message, naming it and what to do.
      const broken = (await test('named:broken')) as {
        ok: false
        error: { code: string; message: string }
      }
      expect(broken.ok).toBe(false)
      expect(broken.error.message).toMatch(/no-such-bucket-several/)
      expect(broken.error.message).toMatch(/bucket/i)
      // A destination that is no longer there.
      expect(await test('named:gone')).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
      // Nothing was written by the tests: no backup anywhere.
      expect(
        await objects(
          (await ctx.backupActivity.status()).destinations[1]?.location.split('/')[2] ?? '',
        ),
      ).toEqual([])
    } finally {
      ctx.close()
      await services.close()
    }
  })

  it('cairn backup --all goes on past a failing destination and says which failed', async () => {
    const { profile, folder, good } = await threeDestinations()
    const result = await cli(['backup', '--profile', profile.dir, '--all', '--json'])
    expect(result.code).toBe(1)
    const reports = JSON.parse(result.stdout) as { destination: string; ok: boolean }[]
    expect(reports.map((r) => r.ok)).toEqual([true, true, false])
    expect(reports[2]).toMatchObject({
      destination: 's3://no-such-bucket-several/x',
      error: { code: 'DESTINATION_MISSING' },
    })
    expect(backupFiles(folder)).toHaveLength(1)
    expect(await objects(good)).toHaveLength(1)
  })
})

describe('uploads on a bad link', () => {
  it('an upload cut once on the way is tried again (backoff with jitter) and succeeds', async () => {
    const profile = await makeProfile({ messages: 30, attachmentBytes: 1 << 20 })
    const { key } = setUpBackupKey(profile.dir)
    const name = await bucket()
    const relay = await startRelay(moto.port)
    const destination = new S3Destination({
      bucket: name,
      prefix: 'p/',
      endpoint: `http://127.0.0.1:${relay.port}`,
      credentials,
      partSize: 5 << 20,
      maxAttempts: 1,
      env: {},
    })
    const waits: number[] = []
    try {
      relay.cutAfter(3 << 20, { blip: true })
      const result = await runBackup({
        profileDir: profile.dir,
        destination,
        recipient: key.recipient,
        keyFingerprint: key.fingerprint,
        profileId: profile.id,
        retryDelayMs: (attempt) => {
          waits.push(attempt)
          return 100
        },
      })
      expect(relay.relayed.cuts).toBe(1)
      expect(result.attempts).toBe(2)
      expect(waits).toEqual([1])
      expect(result.warnings.join(' ')).toMatch(/failed 1 time\(s\) on the way and was tried again/)
      expect(await objects(name)).toEqual([`p/${result.name}`])
      // The first try's upload was dropped, not left behind.
      expect((await destination.cleanup()).removed).toEqual([])
    } finally {
      await destination.close()
      await relay.close()
    }
  })

  it('a bandwidth limit holds the upload to its speed', async () => {
    const profile = await makeProfile({ messages: 10, attachmentBytes: 256 * 1024 })
    const { key } = setUpBackupKey(profile.dir)
    const timed = async (bandwidthLimit: number | null) => {
      const started = performance.now()
      const result = await runBackup({
        profileDir: profile.dir,
        destination: new FolderDestination(tempDir()),
        recipient: key.recipient,
        keyFingerprint: key.fingerprint,
        profileId: profile.id,
        bandwidthLimit,
      })
      return { seconds: (performance.now() - started) / 1000, size: result.size }
    }
    const limited = await timed(256 * 1024)
    // The bucket starts with at most 64 KiB; the rest waits for its tokens.
    expect(limited.seconds).toBeGreaterThan((limited.size - 64 * 1024) / (256 * 1024) - 0.2)
    expect(limited.size).toBeGreaterThan(512 * 1024)
  })
})
