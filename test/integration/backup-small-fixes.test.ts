import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { formatKeyAge, formatKeyHex, generateBackupKey } from '../../main/backup/key/backup-key'
import { backupFiles, messageCount, setUpBackupKey } from '../support/backup-fixtures'
import { runCli } from '../support/cli'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

async function backedUp(messages = 4) {
  const profile = await makeProfile({ messages })
  const { key, keyFile } = setUpBackupKey(profile.dir)
  const dest = tempDir()
  expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
  return { profile, key, keyFile, file: backupFiles(dest)[0] as string }
}

describe('the recovery sheet', () => {
  it('is written 0600 to a new file only: an existing file or a link is refused, and no key is made', async () => {
    const profile = await makeProfile({ messages: 1 })
    const dir = tempDir()
    const existing = join(dir, 'sheet.txt')
    writeFileSync(existing, 'my notes', { mode: 0o644 })
    const refused = await runCli([
      'key',
      'create',
      '--profile',
      profile.dir,
      '--print',
      '--sheet',
      existing,
    ])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(
      /sheet\.txt already exists\. The recovery sheet holds your backup key, so Cairn writes it only to a new file/,
    )
    expect(readFileSync(existing, 'utf8')).toBe('my notes')
    expect(
      JSON.parse(readFileSync(join(profile.dir, 'settings.json'), 'utf8')).backup,
    ).toBeUndefined()

    const target = join(dir, 'shared-folder-file.txt')
    writeFileSync(target, '', { mode: 0o644 })
    const link = join(dir, 'link.txt')
    symlinkSync(target, link)
    const viaLink = await runCli([
      'key',
      'create',
      '--profile',
      profile.dir,
      '--print',
      '--sheet',
      link,
    ])
    expect(viaLink.code).toBe(1)
    expect(readFileSync(target, 'utf8')).toBe('')

    const fresh = join(dir, 'new-sheet.txt')
    const made = await runCli([
      'key',
      'create',
      '--profile',
      profile.dir,
      '--print',
      '--sheet',
      fresh,
    ])
    expect(made.code).toBe(0)
    expect(statSync(fresh).mode & 0o777).toBe(0o600)
    expect(readFileSync(fresh, 'utf8')).toMatch(/CAIRN BACKUP KEY: RECOVERY SHEET/)
  })
})

describe('verify', () => {
  it('a verify killed while checking leaves no decrypted mailbox behind for long: the next verify removes it', async () => {
    const { keyFile, file } = await backedUp()
    const tmp = tempDir()
    const killed = await runCli(['verify', file, '--key-file', keyFile], {
      build: 'test',
      env: { TMPDIR: tmp, CAIRN_TEST_KILL_AT_STEP: 'verify-unpacked' },
    })
    expect(killed.signal).toBe('SIGKILL')
    const [left] = readdirSync(tmp)
    expect(left).toMatch(/^cairn-verify-\d+-/)
    expect(readdirSync(join(tmp, left as string))).toContain('mail.sqlite')
    expect(statSync(join(tmp, left as string)).mode & 0o777).toBe(0o700)
    const next = await runCli(['verify', file, '--key-file', keyFile], { env: { TMPDIR: tmp } })
    expect(next.code).toBe(0)
    expect(readdirSync(tmp)).toEqual([])
  })
})

describe('backups and keys as age writes them', () => {
  it('an ASCII-armored backup (age -a) is verified and restored, as decrypt reads it', async () => {
    const { profile, key, keyFile, file } = await backedUp(6)
    const identity = join(tempDir(), 'id.txt')
    writeFileSync(identity, `${formatKeyAge(key.secret)}\n`, { mode: 0o600 })
    const armored = join(tempDir(), 'armored.tar.zst.age')
    execFileSync('bash', [
      '-c',
      `age -d -i "${identity}" "${file}" | age -a -r ${key.recipient} > "${armored}"`,
    ])
    expect(readFileSync(armored, 'utf8')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/)
    const verified = await runCli(['verify', armored, '--key-file', keyFile])
    expect(verified.stderr).toBe('')
    expect(verified.code).toBe(0)
    const target = join(tempDir(), 'profile')
    const restored = await runCli(['restore', armored, '--profile', target, '--key-file', keyFile])
    expect(restored.stderr).toBe('')
    expect(restored.code).toBe(0)
    expect(messageCount(target)).toBe(messageCount(profile.dir))
  })

  it('an identity file with several keys is used as age uses it (the key that opens the file)', async () => {
    const { profile, key, file } = await backedUp(3)
    const identities = join(tempDir(), 'keys.txt')
    writeFileSync(
      identities,
      `# created: 2026-01-01\n# public key: x\n${formatKeyAge(generateBackupKey().secret)}\n` +
        `# created: 2026-02-01\n${formatKeyAge(key.secret)}\n`,
      { mode: 0o600 },
    )
    expect(
      execFileSync('bash', ['-c', `age -d -i "${identities}" "${file}" | wc -c`])
        .toString()
        .trim(),
    ).not.toBe('0')
    const verified = await runCli(['verify', file, '--key-file', identities])
    expect(verified.stderr).toBe('')
    expect(verified.code).toBe(0)
    const decrypted = await runCli(['decrypt', '--identity', identities, file])
    expect(decrypted.code).toBe(0)
    const target = join(tempDir(), 'profile')
    expect(
      (await runCli(['restore', file, '--profile', target, '--key-file', identities])).code,
    ).toBe(0)
    expect(messageCount(target)).toBe(messageCount(profile.dir))
    // Importing needs one key: a file with two is refused, with a reason.
    const imported = await runCli([
      'key',
      'import',
      '--profile',
      profile.dir,
      '--key-file',
      identities,
    ])
    expect(imported.code).toBe(1)
    expect(imported.stderr).toMatch(/holds 2 keys; name a file that holds only the one you mean/)
  })

  it('a key file other users can read is used, with a warning; a private one without', async () => {
    const { key, file } = await backedUp(2)
    const loose = join(tempDir(), 'loose.txt')
    writeFileSync(loose, formatKeyHex(key.secret), { mode: 0o644 })
    const warned = await runCli(['verify', file, '--key-file', loose])
    expect(warned.code).toBe(0)
    expect(warned.stderr).toMatch(
      /^Warning: the key file .*loose\.txt can be read by other users of this computer \(mode 0644\); anyone who can read it can read your backups\. Make it private: chmod 600 /,
    )
    const privateFile = join(tempDir(), 'private.txt')
    writeFileSync(privateFile, formatKeyHex(key.secret), { mode: 0o600 })
    const quiet = await runCli(['verify', file, '--key-file', privateFile])
    expect(quiet.stderr).toBe('')
  })
})
