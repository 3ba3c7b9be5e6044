import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { backupFiles, messageCount, setUpBackupKey } from '../support/backup-fixtures'
import { runCli } from '../support/cli'
import { writeEncryptedArchive } from '../support/crypto-fixtures'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

/** A message a user can act on: no bare errno codes, no "unexpected error". */
function expectPlain(stderr: string): void {
  expect(stderr).not.toMatch(
    /unexpected error|\(E[A-Z]+\)|ENOENT|ENOTDIR|EEXIST|ENAMETOOLONG|Invalid tar header/,
  )
}

async function backedUp() {
  const profile = await makeProfile({ messages: 5 })
  const { key, keyFile } = setUpBackupKey(profile.dir)
  const dest = tempDir()
  expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
  return { profile, key, keyFile, file: backupFiles(dest)[0] as string }
}

describe('messages that say what is wrong and what to do', () => {
  it('restoring into a path under a file', async () => {
    const { keyFile, file } = await backedUp()
    const blocker = join(tempDir(), 'not-a-folder')
    writeFileSync(blocker, 'x')
    const result = await runCli([
      'restore',
      file,
      '--profile',
      join(blocker, 'profile'),
      '--key-file',
      keyFile,
    ])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /A profile cannot be created at .*: .*not-a-folder is a file, not a folder\. Choose another --profile path\./,
    )
    expectPlain(result.stderr)
  })

  it('restoring onto a file', async () => {
    const { keyFile, file } = await backedUp()
    const target = join(tempDir(), 'profile')
    writeFileSync(target, 'x')
    const result = await runCli(['restore', file, '--profile', target, '--key-file', keyFile])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /is a file, not a profile folder, so a backup cannot be restored there\. Move the file away or choose another --profile path\./,
    )
    expectPlain(result.stderr)
  })

  it('a long profile name restores (the names beside it are shortened); one too long for any filesystem is said so', async () => {
    const { keyFile, file } = await backedUp()
    const long = join(tempDir(), 'p'.repeat(240))
    const restored = await runCli(['restore', file, '--profile', long, '--key-file', keyFile])
    expect(restored.stderr).toBe('')
    expect(restored.code).toBe(0)
    expect(messageCount(long)).toBe(5)
    expect(readdirSync(join(long, '..'))).toEqual(['p'.repeat(240)])
    const tooLong = await runCli([
      'restore',
      file,
      '--profile',
      join(tempDir(), 'q'.repeat(300)),
      '--key-file',
      keyFile,
    ])
    expect(tooLong.code).toBe(1)
    expect(tooLong.stderr).toMatch(
      /The profile folder's name is 300 bytes long; filesystems allow at most 255\. Choose a shorter --profile path\./,
    )
    expectPlain(tooLong.stderr)
  })

  it('a file that decrypts but holds no tar archive', async () => {
    const { profile, key, keyFile } = await backedUp()
    const file = join(tempDir(), 'not-tar.tar.zst.age')
    await writeEncryptedArchive(file, randomBytes(4096), key)
    for (const command of [
      ['restore', file, '--profile', profile.dir, '--key-file', keyFile],
      ['verify', file, '--key-file', keyFile],
    ]) {
      const result = await runCli(command)
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(
        /This file decrypts with the key, but what it holds is not a Cairn backup \(not a tar archive\)/,
      )
      expectPlain(result.stderr)
    }
    expect(messageCount(profile.dir)).toBe(5)
  })

  it('a missing file, for decrypt, verify and restore', async () => {
    const { profile, keyFile } = await backedUp()
    const missing = join(tempDir(), 'gone.tar.zst.age')
    const decrypt = await runCli(['decrypt', '--identity', keyFile, missing])
    expect(decrypt.code).toBe(1)
    expect(decrypt.stderr).toMatch(/There is no file at .*gone\.tar\.zst\.age\. Check the path\./)
    expectPlain(decrypt.stderr)
    const verify = await runCli(['verify', missing, '--key-file', keyFile])
    expect(verify.stderr).toMatch(
      /There is no backup file at .*gone\.tar\.zst\.age\. Check the path/,
    )
    expectPlain(verify.stderr)
    const restore = await runCli([
      'restore',
      missing,
      '--profile',
      profile.dir,
      '--key-file',
      keyFile,
    ])
    expect(restore.stderr).toMatch(/There is no backup file at .*gone\.tar\.zst\.age/)
    expectPlain(restore.stderr)
    const noKey = await runCli(['verify', missing, '--key-file', join(tempDir(), 'nokey.txt')])
    expect(noKey.stderr).toMatch(/There is no key file at .*nokey\.txt\. Check the path\./)
    const folder = tempDir()
    mkdirSync(join(folder, 'sub'))
    const isFolder = await runCli(['verify', folder])
    expect(isFolder.stderr).toMatch(/is a folder, not a backup file/)
  })
})
