import { lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { backupFiles, messageCount, setUpBackupKey } from '../support/backup-fixtures'
import { runCli, TEST_BUILD_CLI } from '../support/cli'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

/** A profile reached through a symbolic link (say, moved to another disk and linked back). */
async function linkedProfile() {
  const disk = tempDir()
  const real = join(disk, 'cairn-data')
  await makeProfile({ messages: 12, dir: real })
  const { keyFile } = setUpBackupKey(real)
  const dest = tempDir()
  expect((await runCli(['backup', '--profile', real, '--to', dest])).code).toBe(0)
  const home = tempDir()
  const link = join(home, 'profile')
  symlinkSync(real, link)
  return { disk, real, link, home, keyFile, file: backupFiles(dest)[0] as string }
}

describe('restoring into a profile path that is a symbolic link', () => {
  it('works on the folder the link points to, keeping the link', async () => {
    const { disk, real, link, home, keyFile, file } = await linkedProfile()
    mkdirSync(join(real, 'attachments', 'zz'), { recursive: true }) // something only the old profile has
    const result = await runCli(['restore', file, '--profile', link, '--key-file', keyFile])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(readlinkSync(link)).toBe(real)
    expect(messageCount(real)).toBe(12)
    expect(readdirSync(join(real, 'attachments'))).not.toContain('zz') // the old data did not stay behind
    expect(readdirSync(home)).toEqual(['profile'])
    expect(readdirSync(disk)).toEqual(['cairn-data'])
  })

  it('a crash between the renames leaves the link dangling; the next start through the link finishes', async () => {
    const { disk, real, link, keyFile, file } = await linkedProfile()
    const { spawnSync } = await import('node:child_process')
    const run = spawnSync(
      process.execPath,
      [TEST_BUILD_CLI, 'restore', file, '--profile', link, '--key-file', keyFile],
      {
        env: { ...process.env, CAIRN_TEST_KILL_AT_STEP: 'moved-aside' },
      },
    )
    expect(run.signal).toBe('SIGKILL')
    const start = await runCli(['key', 'show', '--profile', link])
    expect(start.stderr).toBe('')
    expect(start.code).toBe(0)
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(messageCount(real)).toBe(12)
    expect(readdirSync(disk)).toEqual(['cairn-data'])
  })
})
