import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatKeyHex, generateBackupKey } from '../../main/backup/key/backup-key'
import { backupFiles, setUpBackupKey } from '../support/backup-fixtures'
import { runCli } from '../support/cli'
import { craftBackup, manifestOf, readWithStandardTools } from '../support/crafted-backups'
import { useRealKeychain } from '../support/keyring'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
beforeAll(async () => {
  keyring = await useRealKeychain()
})
afterAll(() => keyring?.stop())

const settingsOf = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as {
    profileId: string
    backup: { recipient: string; fingerprint: string; custody: string; destination: string | null }
  }

function keyFileOf(key: ReturnType<typeof generateBackupKey>): string {
  const file = join(tempDir(), 'key.txt')
  writeFileSync(file, formatKeyHex(key.secret), { mode: 0o600 })
  return file
}

describe('backup key custody', () => {
  it('refuses to back up when the recipient is not the key its fingerprint names', async () => {
    const profile = await makeProfile({ messages: 3 })
    const { key } = setUpBackupKey(profile.dir)
    const attacker = generateBackupKey()
    const settings = settingsOf(profile.dir)
    settings.backup.recipient = attacker.recipient // the user's fingerprint stays
    writeFileSync(join(profile.dir, 'settings.json'), JSON.stringify(settings))
    const dest = tempDir()
    const result = await runCli(['backup', '--profile', profile.dir, '--to', dest])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      `name the key ${key.fingerprint} but would encrypt to the key ${attacker.fingerprint}`,
    )
    expect(result.stderr).toMatch(/Nothing was backed up\. Set your backup key again/)
    expect(backupFiles(dest)).toEqual([])
  })

  it('restoring an older backup after a key change keeps the new key', async () => {
    const profile = await makeProfile({ messages: 5 })
    const { keyFile: oldKeyFile } = setUpBackupKey(profile.dir)
    const dest = tempDir()
    expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
    const [old] = backupFiles(dest)
    const newKey = generateBackupKey()
    setUpBackupKey(profile.dir, newKey) // the user changed the key since
    const restored = await runCli([
      'restore',
      old as string,
      '--profile',
      profile.dir,
      '--key-file',
      oldKeyFile,
    ])
    expect(restored.stderr).toBe('')
    expect(restored.code).toBe(0)
    expect(settingsOf(profile.dir).backup).toMatchObject({
      fingerprint: newKey.fingerprint,
      recipient: newKey.recipient,
    })
    // …and the next backup is made to the new key.
    const next = JSON.parse(
      (await runCli(['backup', '--profile', profile.dir, '--to', tempDir(), '--json'])).stdout,
    )
    const verified = await runCli(['verify', next.path, '--key-file', keyFileOf(newKey)])
    expect(verified.stderr).toBe('')
    expect(verified.code).toBe(0)
  })

  it("a crafted backup naming an attacker's recipient beside the user's fingerprint cannot redirect later backups", async () => {
    const profile = await makeProfile({ messages: 4 })
    const { key, keyFile } = setUpBackupKey(profile.dir)
    const dest = tempDir()
    expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
    // Anyone with the public recipient and write access to the folder can make this backup.
    const attacker = generateBackupKey()
    const entries = readWithStandardTools(backupFiles(dest)[0] as string, key)
    const manifest = manifestOf(entries)
    const files = entries.slice(1).map(([name, content]): [string, Buffer] => {
      if (name !== 'settings.json') return [name, content]
      const s = JSON.parse(content.toString())
      s.backup.recipient = attacker.recipient
      return [name, Buffer.from(JSON.stringify(s))]
    })
    const crafted = await craftBackup(join(tempDir(), 'crafted.tar.zst.age'), key, files, {
      profileId: manifest.profileId,
      createdAt: manifest.createdAt,
      schemaVersion: manifest.schemaVersion,
    })
    // Restored on a new machine (no profile yet), with the user's own key.
    const fresh = join(tempDir(), 'profile')
    const restored = await runCli(['restore', crafted, '--profile', fresh, '--key-file', keyFile])
    expect(restored.stderr).toBe('')
    expect(restored.code).toBe(0)
    expect(settingsOf(fresh).backup).toMatchObject({
      recipient: key.recipient,
      fingerprint: key.fingerprint,
    })
    const later = JSON.parse(
      (await runCli(['backup', '--profile', fresh, '--to', tempDir(), '--json'])).stdout,
    )
    expect((await runCli(['verify', later.path, '--key-file', keyFile])).code).toBe(0)
    const byAttacker = await runCli(['verify', later.path, '--key-file', keyFileOf(attacker)])
    expect(byAttacker.code).toBe(1)
    expect(byAttacker.stderr).toMatch(/needs the key with fingerprint/)
  })

  it("a restore over the live profile keeps the live named destinations; on a new machine the backup's come back", async () => {
    const profile = await makeProfile({ messages: 2 })
    const { keyFile } = setUpBackupKey(profile.dir)
    const dest = tempDir()
    const cli = async (args: string[]) => {
      const run = await runCli(args)
      expect(run.code, run.stderr).toBe(0)
      return run
    }
    await cli(['destination', 'add', '--profile', profile.dir, 'offsite', tempDir(), '--no-test'])
    await cli(['backup', '--profile', profile.dir, '--to', dest])
    // Since the backup, the user moved their backups elsewhere.
    await cli(['destination', 'remove', '--profile', profile.dir, 'offsite'])
    const nas = tempDir()
    await cli(['destination', 'add', '--profile', profile.dir, 'nas', nas, '--no-test'])
    const backup = backupFiles(dest)[0] as string
    await cli(['restore', backup, '--profile', profile.dir, '--key-file', keyFile, '--force'])
    const destinationsOf = (dir: string) =>
      (
        JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as {
          destinations?: Record<string, { url: string }>
        }
      ).destinations ?? {}
    expect(Object.keys(destinationsOf(profile.dir))).toEqual(['nas'])
    expect(destinationsOf(profile.dir).nas?.url).toBe(nas)
    const fresh = join(tempDir(), 'profile')
    await cli(['restore', backup, '--profile', fresh, '--key-file', keyFile])
    expect(Object.keys(destinationsOf(fresh))).toEqual(['offsite'])
  })

  it("on a new machine, a backup's own backup settings are kept when they name the key that opened it", async () => {
    const profile = await makeProfile({ messages: 2 })
    const { keyFile, key } = setUpBackupKey(profile.dir)
    const dest = tempDir()
    expect(
      (await runCli(['schedule', '--profile', profile.dir, '--to', dest, '--daily', '02:30'])).code,
    ).toBe(0)
    expect((await runCli(['backup', '--profile', profile.dir])).code).toBe(0)
    const fresh = join(tempDir(), 'profile')
    const restored = await runCli([
      'restore',
      backupFiles(dest)[0] as string,
      '--profile',
      fresh,
      '--key-file',
      keyFile,
    ])
    expect(restored.code).toBe(0)
    expect(settingsOf(fresh).backup).toMatchObject({
      fingerprint: key.fingerprint,
      custody: 'user',
      destination: dest,
    })
  })

  it('on a new machine with the key imported first, the backup folder and schedule come back with the mail', async () => {
    const profile = await makeProfile({ messages: 2 })
    const { keyFile, key } = setUpBackupKey(profile.dir)
    const dest = tempDir()
    expect(
      (await runCli(['schedule', '--profile', profile.dir, '--to', dest, '--daily', '02:30'])).code,
    ).toBe(0)
    expect((await runCli(['backup', '--profile', profile.dir])).code).toBe(0)
    const fresh = join(tempDir(), 'profile')
    expect((await runCli(['key', 'import', '--profile', fresh, '--key-file', keyFile])).code).toBe(
      0,
    )
    const restored = await runCli(['restore', backupFiles(dest)[0] as string, '--profile', fresh])
    expect(restored.stderr).toBe('')
    expect(restored.code).toBe(0)
    expect(settingsOf(fresh).backup).toMatchObject({
      fingerprint: key.fingerprint,
      custody: 'keychain',
      destination: dest,
    })
  })
})
