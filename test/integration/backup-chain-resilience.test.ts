/**
 * Chains in the life of a profile: the local block record lost or
 * damaged, a link gone from the destination, a long or old chain, two
 * profiles in one destination, kill -9 between the commit and the record,
 * an S3 destination (moto), and a 30-link chain restored at every link.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backupIn } from '../../main/backup/destination/backup-source'
import { S3Destination } from '../../main/backup/destination/s3/s3-destination'
import { generateBackupKey } from '../../main/backup/key/backup-key'
import { restoreBackup } from '../../main/backup/restore/restore'
import { verifyBackup } from '../../main/backup/verify'
import { backupFiles, setUpBackupKey } from '../support/backup-fixtures'
import {
  addMail,
  backUpAt,
  deleteSome,
  flagSome,
  profileState,
  restoreTarget,
} from '../support/chain-world'
import { TEST_BUILD_CLI } from '../support/cli'
import { startMoto, type MotoServer } from '../support/moto'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

const at = (minute: number, day = 0) => new Date(Date.UTC(2026, 6, 1 + day, 10, minute))
const latest = { confirm: ['older-than-newest-backup' as const] }

describe('the local block record', () => {
  it('lost, or damaged: the next backup is full, and the chain after it works', async () => {
    const profile = await makeProfile({ messages: 30 })
    const key = generateBackupKey()
    const dest = tempDir()
    await backUpAt(profile, key, dest, at(0))
    const state = join(profile.dir, 'backup-state')
    // Private, and never in a backup.
    expect(statSync(state).mode & 0o777).toBe(0o700)
    for (const name of readdirSync(state))
      expect(statSync(join(state, name)).mode & 0o777, name).toBe(0o600)
    await addMail(profile.dir, 2)
    expect((await backUpAt(profile, key, dest, at(1))).kind).toBe('incremental')

    rmSync(state, { recursive: true })
    await addMail(profile.dir, 2)
    const afterLoss = await backUpAt(profile, key, dest, at(2))
    expect(afterLoss).toMatchObject({ kind: 'full' })
    expect(afterLoss.fullReason).toMatch(/no record/)

    await addMail(profile.dir, 2)
    expect((await backUpAt(profile, key, dest, at(3))).kind).toBe('incremental')
    // Damage the block log: its hash no longer matches the record.
    const log = readdirSync(state).find((n) => n.endsWith('.log')) as string
    const bytes = readFileSync(join(state, log))
    bytes[10] = (bytes[10] as number) ^ 0xff
    writeFileSync(join(state, log), bytes)
    await flagSome(profile.dir, 3)
    const afterDamage = await backUpAt(profile, key, dest, at(4))
    expect(afterDamage.kind).toBe('full')
    await addMail(profile.dir, 1)
    const next = await backUpAt(profile, key, dest, at(5))
    expect(next).toMatchObject({ kind: 'incremental', chainId: afterDamage.chainId })
    const target = restoreTarget()
    await restoreBackup({ file: next.path, key, profileDir: target })
    expect(profileState(target)).toEqual(profileState(profile.dir))
    // The record stays out of the backup.
    expect(readdirSync(target)).not.toContain('backup-state')

    // A record an older Cairn wrote (version 1: other block hashes) reads as none.
    const json = readdirSync(state).find((n) => n.endsWith('.json')) as string
    const record = JSON.parse(readFileSync(join(state, json), 'utf8')) as { version: number }
    expect(record.version).toBe(2)
    writeFileSync(join(state, json), JSON.stringify({ ...record, version: 1 }))
    await addMail(profile.dir, 1)
    expect(await backUpAt(profile, key, dest, at(6))).toMatchObject({ kind: 'full' })
  })

  it('a link gone from the destination, a long chain, an old chain: the next backup is full', async () => {
    const profile = await makeProfile({ messages: 20 })
    const key = generateBackupKey()
    const dest = tempDir()
    const first = await backUpAt(profile, key, dest, at(0))
    await addMail(profile.dir, 1)
    const second = await backUpAt(profile, key, dest, at(1))
    rmSync(second.path)
    rmSync(`${second.path}.json`)
    const third = await backUpAt(profile, key, dest, at(2))
    expect(third.kind).toBe('full')
    expect(third.fullReason).toMatch(/no longer holds .*cairn-backup-/)
    expect(first.kind).toBe('full')

    const policy = { chainPolicy: { maxLinks: 3, maxAgeDays: 7, maxChangedShare: 0.5 } }
    const kinds = []
    for (let i = 3; i < 7; i++) {
      await addMail(profile.dir, 1)
      kinds.push((await backUpAt(profile, key, dest, at(i), policy)).kind)
    }
    // third is link 0; then 1, 2; the 4th link would pass maxLinks.
    expect(kinds).toEqual(['incremental', 'incremental', 'full', 'incremental'])
    await addMail(profile.dir, 1)
    const old = await backUpAt(profile, key, dest, at(0, 8), policy)
    expect(old.kind).toBe('full')
    expect(old.fullReason).toMatch(/older than 7 days/)
  })

  it('a change larger than half a full backup makes a full one', async () => {
    const profile = await makeProfile({ messages: 10 })
    const key = generateBackupKey()
    const dest = tempDir()
    await backUpAt(profile, key, dest, at(0))
    await addMail(profile.dir, 60)
    const big = await backUpAt(profile, key, dest, at(1))
    expect(big.kind).toBe('full')
    expect(big.fullReason).toMatch(/pass 50% of a full backup/)
  })
})

describe('two profiles in one destination', () => {
  it('keep separate chains, and each restores to its own profile', async () => {
    const a = await makeProfile({ messages: 15 })
    const b = await makeProfile({ messages: 25 })
    const key = generateBackupKey()
    const dest = tempDir()
    const results = {
      a: [] as Awaited<ReturnType<typeof backUpAt>>[],
      b: [] as Awaited<ReturnType<typeof backUpAt>>[],
    }
    for (let i = 0; i < 3; i++) {
      await addMail(a.dir, 1)
      results.a.push(await backUpAt(a, key, dest, at(2 * i)))
      await deleteSome(b.dir, 1)
      results.b.push(await backUpAt(b, key, dest, at(2 * i + 1)))
    }
    expect(results.a.map((r) => r.kind)).toEqual(['full', 'incremental', 'incremental'])
    expect(results.b.map((r) => r.kind)).toEqual(['full', 'incremental', 'incremental'])
    expect(results.a[0]!.chainId).not.toBe(results.b[0]!.chainId)
    for (const [profile, list] of [
      [a, results.a],
      [b, results.b],
    ] as const) {
      const target = restoreTarget()
      await restoreBackup({ file: list[2]!.path, key, profileDir: target, ...latest })
      expect(profileState(target)).toEqual(profileState(profile.dir))
    }
  })
})

describe('kill -9 of an incremental backup', () => {
  it('between commit and record: no bad link, the next run adds a link, every backup verifies and the newest restores', async () => {
    const profile = await makeProfile({ messages: 20 })
    const { key } = setUpBackupKey(profile.dir)
    const dest = tempDir()
    const cli = (env: NodeJS.ProcessEnv = {}) =>
      new Promise<{ signal: NodeJS.Signals | null; code: number | null }>((resolve) => {
        const child = spawn(
          process.execPath,
          [TEST_BUILD_CLI, 'backup', '--profile', profile.dir, '--to', dest, '--no-retention'],
          { stdio: 'ignore', env: { ...process.env, ...env } },
        )
        child.on('exit', (code, signal) => resolve({ code, signal }))
      })
    expect((await cli()).code).toBe(0)
    await addMail(profile.dir, 2)
    expect((await cli({ CAIRN_TEST_KILL_AT_STEP: 'backup-committed' })).signal).toBe('SIGKILL')
    await addMail(profile.dir, 2)
    expect((await cli()).code).toBe(0)
    // Random kills while an incremental runs.
    for (let round = 0; round < 4; round++) {
      await flagSome(profile.dir, 3, round)
      await new Promise<void>((resolve) => {
        const child = spawn(
          process.execPath,
          [TEST_BUILD_CLI, 'backup', '--profile', profile.dir, '--to', dest, '--no-retention'],
          { stdio: 'ignore' },
        )
        const timer = setTimeout(() => child.kill('SIGKILL'), 100 + Math.floor(Math.random() * 900))
        child.on('exit', () => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    expect((await cli()).code).toBe(0)
    const files = backupFiles(dest)
    expect(files.length).toBeGreaterThanOrEqual(4)
    for (const file of files)
      await expect(verifyBackup(file, key), file).resolves.toMatchObject({ level: 'full' })
    const target = restoreTarget()
    await restoreBackup({ file: files.at(-1)!, key, profileDir: target })
    expect(profileState(target)).toEqual(profileState(profile.dir))
    expect(readdirSync(dest).filter((n) => n.endsWith('.partial'))).toEqual([])
  }, 300_000)
})

describe('an S3 destination (moto)', () => {
  let moto: MotoServer
  let admin: S3Client
  const credentials = { accessKeyId: 'cairn-test', secretAccessKey: 'cairn-test-secret' }
  beforeAll(async () => {
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
  })

  it('holds a chain whose every link restores from the bucket', async () => {
    await admin.send(new CreateBucketCommand({ Bucket: 'chains' }))
    const destination = new S3Destination({
      bucket: 'chains',
      prefix: 'laptop/',
      endpoint: moto.endpoint,
      credentials,
      partSize: 5 << 20,
      env: {},
    })
    try {
      const profile = await makeProfile({ messages: 30 })
      const key = generateBackupKey()
      const states = []
      const results = []
      const changes = [
        async () => undefined,
        () => addMail(profile.dir, 3),
        () => deleteSome(profile.dir, 4),
        () => flagSome(profile.dir, 2),
      ]
      for (const [i, change] of changes.entries()) {
        await change()
        states.push(profileState(profile.dir))
        results.push(await backUpAt(profile, key, destination, at(i)))
      }
      expect(results.map((r) => r.kind)).toEqual([
        'full',
        'incremental',
        'incremental',
        'incremental',
      ])
      for (const [i, result] of results.entries()) {
        const target = restoreTarget()
        const source = { ...backupIn(destination, result.name), close: async () => undefined }
        await restoreBackup({ file: result.path, source, key, profileDir: target, ...latest })
        expect(profileState(target), `link ${i}`).toEqual(states[i])
      }
      const keyless = await verifyBackup({
        ...backupIn(destination, results[3]!.name),
        close: async () => undefined,
      })
      expect(keyless.chain).toEqual(results.slice(0, 3).map((r) => r.name))
    } finally {
      await destination.close()
    }
  })
})

describe('a 30-link chain', () => {
  it('restores at every link to the profile as it was then', async () => {
    const profile = await makeProfile({ messages: 8 })
    const key = generateBackupKey()
    const dest = tempDir()
    const policy = { chainPolicy: { maxLinks: 100, maxAgeDays: 30, maxChangedShare: 1 } }
    const states = []
    const results = []
    for (let i = 0; i < 30; i++) {
      if (i % 3 === 1) await addMail(profile.dir, 1)
      else if (i % 3 === 2) await flagSome(profile.dir, 4, i)
      else if (i > 0) await deleteSome(profile.dir, 1)
      states.push(profileState(profile.dir))
      results.push(await backUpAt(profile, key, dest, at(i), policy))
    }
    expect(results.map((r) => r.chainIndex)).toEqual(Array.from({ length: 30 }, (_, i) => i))
    for (const [i, result] of results.entries()) {
      const target = restoreTarget()
      await restoreBackup({ file: result.path, key, profileDir: target, ...latest })
      expect(profileState(target), `link ${i}`).toEqual(states[i])
    }
  }, 600_000)
})
