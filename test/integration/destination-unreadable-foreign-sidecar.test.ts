import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/cli'
import { backupFiles, setUpBackupKey } from '../support/backup-fixtures'
import { useRealKeychain } from '../support/keyring'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

/**
 * A backup folder shared with others (a NAS share) holds someone else's
 * backup whose sidecar this user may not read. "Only names that follow
 * Cairn's naming are listed … anything else is ignored", and a sidecar that
 * is unreadable is a backup without a sidecar: it must not stop this user
 * from listing the folder or from backing up into it.
 */
let keyring: Awaited<ReturnType<typeof useRealKeychain>>
beforeAll(async () => {
  keyring = await useRealKeychain()
})
afterAll(() => keyring?.stop())

describe('a shared backup folder with a sidecar this user cannot read', () => {
  it('still lists, and still takes the next (incremental) backup', async () => {
    const profile = await makeProfile({ messages: 5 })
    setUpBackupKey(profile.dir)
    const dest = tempDir()
    const first = await runCli(['backup', '--profile', profile.dir, '--to', dest], {
      obeyFilePermissions: true,
    })
    expect(first.code, first.stderr).toBe(0)

    // Another user's backup, its sidecar private to them.
    const foreign = 'cairn-backup-20200101T000000Z.tar.zst.age'
    writeFileSync(join(dest, foreign), Buffer.alloc(1024, 7))
    writeFileSync(join(dest, `${foreign}.json`), '{"format":"someone else"}\n')
    chmodSync(join(dest, `${foreign}.json`), 0o000)

    const listed = await runCli(['list', '--to', dest, '--json'], { obeyFilePermissions: true })
    expect(listed.stderr).toBe('')
    expect(listed.code).toBe(0)
    expect(JSON.parse(listed.stdout)).toHaveLength(2)

    const second = await runCli(['backup', '--profile', profile.dir, '--to', dest], {
      obeyFilePermissions: true,
    })
    expect(second.stderr).toBe('')
    expect(second.code).toBe(0)
    expect(backupFiles(dest)).toHaveLength(3)
  })
})
