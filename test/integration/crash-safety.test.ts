import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { verifyBackup } from '../../main/backup/verify'
import { storeAttachment } from '../../main/mail/attachment-store'
import { openProfile } from '../../main/profile/profile'
import { backupFiles, messageCount, setUpBackupKey } from '../support/backup-fixtures'
import { runCli, TEST_BUILD_CLI } from '../support/cli'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

/** Start the CLI (the test build, which has the kill switch) and SIGKILL it after `ms` (or let it finish first). */
function runAndKill(
  args: string[],
  ms: number,
  env: NodeJS.ProcessEnv = {},
): Promise<{ killed: boolean; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TEST_BUILD_CLI, ...args], {
      stdio: 'ignore',
      env: { ...process.env, ...env },
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), ms)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ killed: signal === 'SIGKILL', code })
    })
  })
}

async function biggerProfile(messages: number) {
  const profile = await makeProfile({ messages })
  const p = openProfile(profile.dir)
  for (let i = 0; i < 12; i++) storeAttachment(p.paths.attachments, randomBytes(3 * 1024 * 1024))
  p.close()
  return profile
}

/** After a crash: any Cairn start recovers; the profile is then whole (old or new) and opens. */
async function recoverAndCheck(profileDir: string, allowed: number[]): Promise<number> {
  const start = await runCli(['key', 'show', '--profile', profileDir])
  expect(start.stderr).toBe('')
  expect(start.code).toBe(0)
  const count = messageCount(profileDir)
  expect(allowed).toContain(count)
  const db = new Database(join(profileDir, 'mail.sqlite'), { readonly: true })
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
  db.close()
  expect(readdirSync(join(profileDir, '..'))).toEqual(['profile'])
  return count
}

describe('kill -9 of a running backup', () => {
  it('never leaves a complete-looking bad backup, keeps older backups intact, and the next run cleans up', async () => {
    const profile = await biggerProfile(30)
    const { key } = setUpBackupKey(profile.dir)
    const dest = tempDir()
    expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
    const [older] = backupFiles(dest)
    const olderHash = sha(older as string)
    let kills = 0
    for (let round = 0; round < 8; round++) {
      // Full backups (an unchanged profile's incremental ends before most kills).
      const { killed } = await runAndKill(
        ['backup', '--profile', profile.dir, '--to', dest, '--no-retention', '--full'],
        40 + Math.floor(Math.random() * 700),
      )
      if (killed) kills++
      expect(sha(older as string)).toBe(olderHash)
      // Every file under a backup's real name is a whole, good backup.
      for (const file of backupFiles(dest)) {
        await expect(verifyBackup(file, key), file).resolves.toMatchObject({ level: 'full' })
      }
    }
    expect(kills).toBeGreaterThan(3)
    const next = await runCli(['backup', '--profile', profile.dir, '--to', dest, '--no-retention'])
    expect(next.code).toBe(0)
    expect(readdirSync(dest).filter((n) => n.endsWith('.partial'))).toEqual([])
  }, 180_000)
})

describe('kill -9 of a running restore', () => {
  async function scenario(options: { big?: boolean } = {}) {
    const profile = options.big ? await biggerProfile(15) : await makeProfile({ messages: 15 })
    const { keyFile } = setUpBackupKey(profile.dir)
    const dest = tempDir()
    expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
    // After the backup, the live profile moves on: 3 more messages.
    const mbox = join(tempDir(), 'more.mbox')
    writeFileSync(
      mbox,
      [1, 2, 3]
        .map(
          (n) => `From a@b Tue Mar  3 10:00:00 2026\nFrom: a@b.c\nSubject: later ${n}\n\nlater\n\n`,
        )
        .join(''),
    )
    expect((await runCli(['import', '--profile', profile.dir, mbox])).code).toBe(0)
    return { profile, keyFile, file: backupFiles(dest)[0] as string, before: 18, after: 15 }
  }

  for (const [step, expected] of [
    ['unpacked', 'old'],
    ['prepared', 'old'],
    ['moved-aside', 'new'],
    ['swapped', 'new'],
    ['completing', 'new'],
  ] as const) {
    it(`killed at "${step}": the next start leaves the ${expected} profile, whole`, async () => {
      const { profile, keyFile, file, before, after } = await scenario()
      const run = await runAndKill(
        ['restore', file, '--profile', profile.dir, '--key-file', keyFile],
        60_000,
        {
          CAIRN_TEST_KILL_AT_STEP: step,
        },
      )
      expect(run.killed).toBe(true)
      expect(await recoverAndCheck(profile.dir, [expected === 'old' ? before : after])).toBe(
        expected === 'old' ? before : after,
      )
    })
  }

  it('killed at random moments: the profile is always the old one or the new one, and opens', async () => {
    // Big enough (36 MB of attachments) that a restore lasts long enough to be killed in the middle.
    const { profile, keyFile, file, before, after } = await scenario({ big: true })
    let kills = 0
    for (let round = 0; round < 8; round++) {
      const { killed } = await runAndKill(
        ['restore', file, '--profile', profile.dir, '--key-file', keyFile, '--force'],
        100 + Math.floor(Math.random() * 900),
      )
      if (killed) kills++
      await recoverAndCheck(profile.dir, [before, after])
    }
    // The loop proves something only if restores were in fact interrupted.
    expect(kills).toBeGreaterThan(3)
  }, 180_000)
})

describe('kill -9 while a restore that did not open is rolled back', () => {
  async function swappedThenBroken() {
    const profile = await makeProfile({ messages: 15 })
    const { keyFile } = setUpBackupKey(profile.dir)
    const dest = tempDir()
    expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
    const mbox = join(tempDir(), 'more.mbox')
    writeFileSync(mbox, 'From a@b Tue Mar  3 10:00:00 2026\nFrom: a@b.c\nSubject: later\n\nlater\n')
    expect((await runCli(['import', '--profile', profile.dir, mbox])).code).toBe(0)
    // The restore is killed once the new profile is in place, before it was opened…
    const run = await runAndKill(
      ['restore', backupFiles(dest)[0] as string, '--profile', profile.dir, '--key-file', keyFile],
      60_000,
      { CAIRN_TEST_KILL_AT_STEP: 'swapped' },
    )
    expect(run.killed).toBe(true)
    // …and meanwhile its mailbox is damaged, so the next start must put the old profile back.
    writeFileSync(join(profile.dir, 'mail.sqlite'), 'this is not a database '.repeat(100))
    return { profile, before: 16 }
  }

  for (const step of ['rollback-started', 'rollback-moved-aside', 'rollback-restored'] as const) {
    it(`killed at "${step}": the next start still puts the old profile back, whole`, async () => {
      const { profile, before } = await swappedThenBroken()
      const killed = await runAndKill(['key', 'show', '--profile', profile.dir], 60_000, {
        CAIRN_TEST_KILL_AT_STEP: step,
      })
      expect(killed.killed).toBe(true)
      expect(await recoverAndCheck(profile.dir, [before])).toBe(before)
    })
  }

  it('a crash between the rollback renames of an earlier Cairn (journal "swapped", profile missing) is recovered', async () => {
    const { profile, before } = await swappedThenBroken()
    // What the earlier rollback left: the failed profile renamed away, the old one not yet back.
    const parent = join(profile.dir, '..')
    renameSync(profile.dir, join(parent, 'profile.failed-restore-1'))
    const result = await runCli(['key', 'show', '--profile', profile.dir])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(messageCount(profile.dir)).toBe(before)
  })
})
