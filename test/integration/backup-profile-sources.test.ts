import { execFileSync, spawn } from 'node:child_process'
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runBackup } from '../../main/backup/run-backup'
import { listProfileFiles } from '../../main/backup/snapshot/profile-files'
import { readSmallProfileFile } from '../../main/backup/snapshot/profile-checks'
import { generateBackupKey } from '../../main/backup/key/backup-key'
import { isCairnError } from '../../main/shared/errors'
import { backupFiles, setUpBackupKey } from '../support/backup-fixtures'
import { runCli } from '../support/cli'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

function anAttachment(profileDir: string): string {
  const root = join(profileDir, 'attachments')
  const sub = readdirSync(root).sort()[0] as string
  return join(root, sub, readdirSync(join(root, sub))[0] as string)
}

interface FifoWatchdog {
  /** Whether a reader had the fifo open, waiting for a writer, when the watchdog came. */
  readerWaited(): Promise<boolean>
  stop(): void
}

/**
 * A few seconds on, opens `fifo` for writing from another process: that
 * open finishes only while a reader has the fifo open, and then the
 * process exits. A read that waits on the fifo would otherwise hang the
 * test (the whole process, when the open is on its main thread) instead of
 * failing it; with nobody reading, the watchdog waits until stopped.
 */
function watchFifo(fifo: string): FifoWatchdog {
  const child = spawn('sh', ['-c', 'sleep 5; exec 3>"$0"', fifo], {
    stdio: 'ignore',
    detached: true,
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  return {
    readerWaited: async () =>
      (await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1000))])) === 0,
    // The shell and its sleep, still waiting when no reader ever came.
    stop: () => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL')
      } catch {
        // Already gone.
      }
    },
  }
}

/** Every byte written into the backup folder, to look for what must not be there. */
function folderBytes(dir: string): Buffer {
  return Buffer.concat(readdirSync(dir).map((name) => readFileSync(join(dir, name))))
}

describe('what a backup reads from the profile', () => {
  it('a mailbox that is a symbolic link is refused, loudly, and nothing is written', async () => {
    const profile = await makeProfile({ messages: 3 })
    setUpBackupKey(profile.dir)
    const elsewhere = join(tempDir(), 'mail.sqlite')
    renameSync(join(profile.dir, 'mail.sqlite'), elsewhere)
    symlinkSync(elsewhere, join(profile.dir, 'mail.sqlite'))
    const dest = tempDir()
    const result = await runCli(['backup', '--profile', profile.dir, '--to', dest])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /The profile's mail\.sqlite \(.*\) is a symbolic link, not a regular file or folder, so nothing was backed up\. .*move the real mail\.sqlite into the profile/,
    )
    expect(readdirSync(dest)).toEqual([])
  })

  it('an attachments folder that is a symbolic link is refused, loudly, and nothing is written', async () => {
    const profile = await makeProfile({ messages: 6 })
    setUpBackupKey(profile.dir)
    const elsewhere = join(tempDir(), 'attachments')
    renameSync(join(profile.dir, 'attachments'), elsewhere)
    symlinkSync(elsewhere, join(profile.dir, 'attachments'))
    const dest = tempDir()
    const result = await runCli(['backup', '--profile', profile.dir, '--to', dest])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/The profile's attachments .* is a symbolic link/)
    expect(readdirSync(dest)).toEqual([])
  })

  it('a profile without its mailbox is not backed up', async () => {
    const profile = await makeProfile({ messages: 1 })
    setUpBackupKey(profile.dir)
    rmSync(join(profile.dir, 'mail.sqlite'))
    const dest = tempDir()
    const result = await runCli(['backup', '--profile', profile.dir, '--to', dest])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /has no mailbox database \(mail\.sqlite\), so a backup of it could not be restored/,
    )
    expect(readdirSync(dest)).toEqual([])
  })

  for (const step of ['listed', 'hashed'] as const) {
    it(`a file swapped for a symbolic link after it was ${step} is not followed (its target never reaches the backup)`, async () => {
      const profile = await makeProfile({ messages: 6 })
      const key = generateBackupKey()
      const secret = join(tempDir(), 'id_rsa')
      const secretBytes = Buffer.from(
        `-----BEGIN SECRET----- ${generateBackupKey().recipient} -----END-----`,
      )
      writeFileSync(secret, secretBytes)
      const dest = tempDir()
      const error = await runBackup({
        profileDir: profile.dir,
        destination: dest,
        recipient: key.recipient,
        keyFingerprint: key.fingerprint,
        profileId: profile.id,
        onStep: (reached) => {
          if (reached !== step) return
          const victim = anAttachment(profile.dir)
          rmSync(victim)
          symlinkSync(secret, victim)
        },
      }).catch((e: unknown) => e)
      expect(isCairnError(error, 'BACKUP_CHANGED_DURING'), String(error)).toBe(true)
      expect((error as Error).message).toMatch(
        /attachments\/.* was replaced by a symbolic link while it was being backed up|attachments\/.* was replaced \(by another file or a link\)/,
      )
      expect(backupFiles(dest)).toEqual([])
      expect(folderBytes(dest).includes(secretBytes)).toBe(false)
    })
  }

  for (const step of ['listed', 'hashed'] as const) {
    it(`a file swapped for a fifo after it was ${step} is refused, not waited on`, async () => {
      const profile = await makeProfile({ messages: 6 })
      const key = generateBackupKey()
      const dest = tempDir()
      let watchdog: FifoWatchdog | null = null
      try {
        const error = await runBackup({
          profileDir: profile.dir,
          destination: dest,
          recipient: key.recipient,
          keyFingerprint: key.fingerprint,
          profileId: profile.id,
          onStep: (reached) => {
            if (reached !== step) return
            const victim = anAttachment(profile.dir)
            rmSync(victim)
            execFileSync('mkfifo', [victim])
            watchdog = watchFifo(victim)
          },
        }).catch((e: unknown) => e)
        // First: without the fix the backup ended only because the watchdog freed the fifo.
        expect(watchdog, 'the fifo was swapped in').not.toBeNull()
        const waited = await (watchdog as FifoWatchdog | null)?.readerWaited()
        expect(waited, 'a read waited on the fifo').toBe(false)
        expect(isCairnError(error, 'BACKUP_CHANGED_DURING'), String(error)).toBe(true)
        expect((error as Error).message).toMatch(
          /^attachments\/.* was replaced by something that is not a regular file \(a fifo, a socket or a device\) while it was being backed up; .* The backup folder was not changed\./,
        )
        expect(backupFiles(dest)).toEqual([])
      } finally {
        ;(watchdog as FifoWatchdog | null)?.stop()
      }
    })
  }

  it('settings.json swapped for a fifo after it was listed is refused, not waited on', async () => {
    const profile = await makeProfile({ messages: 1 })
    const settings = listProfileFiles(profile.dir).find((f) => f.path === 'settings.json')
    expect(settings).toBeDefined()
    const { path, absolutePath } = settings as { path: string; absolutePath: string }
    rmSync(absolutePath)
    execFileSync('mkfifo', [absolutePath])
    const watchdog = watchFifo(absolutePath)
    try {
      const read = (() => {
        try {
          return readSmallProfileFile(path, absolutePath)
        } catch (error) {
          return error
        }
      })()
      expect(await watchdog.readerWaited(), 'the read waited on the fifo').toBe(false)
      expect(isCairnError(read, 'BACKUP_CHANGED_DURING'), String(read)).toBe(true)
      expect((read as Error).message).toMatch(
        /^settings\.json was replaced by something that is not a regular file/,
      )
    } finally {
      watchdog.stop()
    }
  })

  it('an attachment deleted between hashing and archiving: a message that says so, no backup', async () => {
    const profile = await makeProfile({ messages: 6 })
    const key = generateBackupKey()
    const dest = tempDir()
    const error = await runBackup({
      profileDir: profile.dir,
      destination: dest,
      recipient: key.recipient,
      keyFingerprint: key.fingerprint,
      profileId: profile.id,
      onStep: (reached) => {
        if (reached === 'hashed') rmSync(anAttachment(profile.dir))
      },
    }).catch((e: unknown) => e)
    expect(isCairnError(error, 'BACKUP_CHANGED_DURING'), String(error)).toBe(true)
    expect((error as Error).message).toMatch(
      /^attachments\/.* was deleted from the profile while it was being backed up; the backup was stopped and will be tried again\. The backup folder was not changed\.$/,
    )
    expect(readdirSync(dest)).toEqual([])
  })

  it('an unreadable profile file is blamed on the profile, not on the backup folder (also in the recorded last error)', async () => {
    const profile = await makeProfile({ messages: 6 })
    setUpBackupKey(profile.dir)
    const dest = tempDir()
    chmodSync(anAttachment(profile.dir), 0o000)
    // As root, file permissions apply only without the capabilities that override them.
    const result = await runCli(['backup', '--profile', profile.dir, '--to', dest], {
      obeyFilePermissions: true,
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /Cairn is not allowed to read attachments\/.* in the profile \(.*\), so nothing was backed up\. The backup folder was not changed\. Give your user read access/,
    )
    expect(result.stderr).not.toMatch(
      /backup folder .* read-only|cannot write to the backup folder/,
    )
    const settings = JSON.parse(readFileSync(join(profile.dir, 'settings.json'), 'utf8'))
    expect(settings.backup.lastError).toMatch(/^Cairn is not allowed to read attachments\//)
    expect(readdirSync(dest)).toEqual([])
  })

  it('a backup folder inside the profile is refused (each backup would carry all the earlier ones)', async () => {
    const profile = await makeProfile({ messages: 2 })
    setUpBackupKey(profile.dir)
    const inside = join(profile.dir, 'backups')
    mkdirSync(inside)
    const link = join(tempDir(), 'looks-outside')
    symlinkSync(inside, link)
    for (const dest of [inside, profile.dir, link]) {
      const result = await runCli(['backup', '--profile', profile.dir, '--to', dest])
      expect(result.code, dest).toBe(1)
      expect(result.stderr).toMatch(
        /is inside the profile folder .*: each backup would carry all the earlier ones/,
      )
    }
    expect(readdirSync(inside)).toEqual([])
    const scheduled = await runCli(['schedule', '--profile', profile.dir, '--to', inside])
    expect(scheduled.code).toBe(1)
    expect(scheduled.stderr).toMatch(/is inside the profile folder/)
  })
})
