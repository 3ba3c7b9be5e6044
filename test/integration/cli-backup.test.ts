import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatKeyAge, formatKeyHex, generateBackupKey } from '../../main/backup/key/backup-key'
import { runCli } from '../support/cli'
import { backupFiles, messageCount, setUpBackupKey } from '../support/backup-fixtures'
import { useRealKeychain } from '../support/keyring'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
beforeAll(async () => {
  keyring = await useRealKeychain()
})
afterAll(() => keyring?.stop())

describe('cairn backup and restore, end to end', () => {
  it('key in the keychain → backup → wipe the profile → restore → the mail is back', async () => {
    const profile = await makeProfile({ messages: 25 })
    const dest = tempDir()
    const created = await runCli([
      'key',
      'create',
      '--profile',
      profile.dir,
      '--keychain',
      '--json',
    ])
    expect(created.stderr).toBe('')
    expect(created.code).toBe(0)
    const { fingerprint } = JSON.parse(created.stdout)
    expect(fingerprint).toMatch(/^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$/)

    const backup = await runCli(['backup', '--profile', profile.dir, '--to', dest, '--json'])
    expect(backup.code).toBe(0)
    const result = JSON.parse(backup.stdout)
    expect(result).toMatchObject({ files: expect.any(Number), snapshot: 'frozen' })

    const listed = await runCli(['list', '--to', dest, '--json'])
    expect(JSON.parse(listed.stdout)).toMatchObject([
      { name: result.name, complete: true, keyFingerprint: fingerprint, profileId: profile.id },
    ])
    expect((await runCli(['verify', result.path])).code).toBe(0)

    // Disaster: the profile is gone. The key is found in the keychain from the backup's fingerprint.
    rmSync(profile.dir, { recursive: true, force: true })
    const restored = await runCli(['restore', result.path, '--profile', profile.dir, '--json'])
    expect(restored.stderr).toBe('')
    expect(restored.code).toBe(0)
    expect(messageCount(profile.dir)).toBe(25)
    expect(readdirSync(join(profile.dir, '..')).filter((n) => n.includes('restore'))).toEqual([])

    const shown = await runCli(['key', 'show', '--profile', profile.dir, '--json'])
    expect(JSON.parse(shown.stdout)).toMatchObject({ fingerprint, custody: 'keychain' })
  })

  it('restores over a living profile, replacing it, and removes the previous one once the new one opened', async () => {
    const profile = await makeProfile({ messages: 10 })
    const { keyFile } = setUpBackupKey(profile.dir)
    const dest = tempDir()
    expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
    // More mail arrives after the backup…
    const mbox = join(tempDir(), 'more.mbox')
    writeFileSync(mbox, 'From a@b Tue Mar  3 10:00:00 2026\nFrom: a@b.c\nSubject: later\n\nlater\n')
    expect((await runCli(['import', '--profile', profile.dir, mbox])).code).toBe(0)
    expect(messageCount(profile.dir)).toBe(11)
    // …and the user goes back to the backup.
    const [file] = backupFiles(dest)
    const restored = await runCli([
      'restore',
      file as string,
      '--profile',
      profile.dir,
      '--key-file',
      keyFile,
    ])
    expect(restored.code).toBe(0)
    expect(restored.stdout).toMatch(/^Restored \d+ files from the backup of .* into /)
    expect(messageCount(profile.dir)).toBe(10)
    expect(readdirSync(join(profile.dir, '..')).sort()).toEqual(['profile'])
  })

  it('exports the key in age format, which the age CLI and `cairn decrypt` both use', async () => {
    const profile = await makeProfile({ messages: 3 })
    expect((await runCli(['key', 'create', '--profile', profile.dir])).code).toBe(0)
    const exported = await runCli(['key', 'export', '--profile', profile.dir, '--format', 'age'])
    expect(exported.stdout).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]+\n$/)
    const hex = await runCli(['key', 'export', '--profile', profile.dir])
    expect(hex.stdout).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}\n$/)
    const dest = tempDir()
    const backup = JSON.parse(
      (await runCli(['backup', '--profile', profile.dir, '--to', dest, '--json'])).stdout,
    )
    const identity = join(tempDir(), 'id.txt')
    writeFileSync(identity, exported.stdout)
    const viaAge = execFileSync('bash', [
      '-c',
      `age -d -i "${identity}" "${backup.path}" | zstd -d | tar -t`,
    ]).toString()
    expect(viaAge.split('\n')[0]).toBe('cairn-manifest.json')
    const decrypted = await runCli(['decrypt', '--identity', identity, backup.path])
    expect(decrypted.code).toBe(0)
    // The plaintext is exactly the zstd stream age -d gives.
    const fromAge = execFileSync('age', ['-d', '-i', identity, backup.path])
    expect(decrypted.stdoutBytes.equals(fromAge)).toBe(true)
    // And it decrypts a file the age CLI made.
    const madeByAge = join(tempDir(), 'note.age')
    const recipient = execFileSync('age-keygen', ['-y', identity]).toString().trim()
    execFileSync('bash', ['-c', `printf 'hello from age' | age -r ${recipient} > "${madeByAge}"`])
    expect((await runCli(['decrypt', '-i', identity, madeByAge])).stdout).toBe('hello from age')
    // Armored too (age -a).
    const armored = join(tempDir(), 'note.age.asc')
    execFileSync('bash', ['-c', `printf 'armored hello' | age -a -r ${recipient} > "${armored}"`])
    expect(readFileSync(armored, 'utf8')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/)
    expect((await runCli(['decrypt', '-i', identity, armored])).stdout).toBe('armored hello')
  })

  it('imports a key kept on paper into the keychain', async () => {
    const profile = await makeProfile({ messages: 2 })
    const key = generateBackupKey()
    const keyFile = join(tempDir(), 'k.txt')
    writeFileSync(keyFile, formatKeyHex(key.secret).replace(/ /g, '-').toUpperCase())
    const imported = await runCli([
      'key',
      'import',
      '--profile',
      profile.dir,
      '--key-file',
      keyFile,
    ])
    expect(imported.code).toBe(0)
    expect(imported.stdout).toContain(key.fingerprint)
    const exported = await runCli(['key', 'export', '--profile', profile.dir, '--format', 'age'])
    expect(exported.stdout.trim()).toBe(formatKeyAge(key.secret))
  })

  it('shows a key made with --print once, keeping only the public half', async () => {
    const profile = await makeProfile({ messages: 1 })
    const sheet = join(tempDir(), 'recovery-sheet.txt')
    const created = await runCli([
      'key',
      'create',
      '--profile',
      profile.dir,
      '--print',
      '--sheet',
      sheet,
    ])
    expect(created.code).toBe(0)
    const fingerprint = /fingerprint ([0-9a-f-]{14})/.exec(created.stdout)?.[1] as string
    expect(readFileSync(sheet, 'utf8')).toMatch(
      new RegExp(`Fingerprint: ${fingerprint}[\\s\\S]*age -d -i key\\.txt`),
    )
    const digits =
      /\n {4}((?:[0-9a-f]{4} ){7}[0-9a-f]{4})\n {4}((?:[0-9a-f]{4} ){7}[0-9a-f]{4})\n/.exec(
        created.stdout,
      )
    expect(digits).not.toBeNull()
    const settings = readFileSync(join(profile.dir, 'settings.json'), 'utf8')
    expect(settings).not.toContain((digits?.[1] as string).replace(/ /g, ''))
    expect(settings).not.toContain((digits?.[1] as string).slice(0, 9))
    const exported = await runCli(['key', 'export', '--profile', profile.dir])
    expect(exported.code).toBe(1)
    expect(exported.stderr).toMatch(/is not stored on this computer; it is kept by you/)
    const again = await runCli(['key', 'create', '--profile', profile.dir, '--print'])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/already has a backup key .*--force/)
  })
})

describe('cairn backup and restore, failures', () => {
  it('refuses a key that does not open the backup, before touching anything', async () => {
    const profile = await makeProfile({ messages: 4 })
    setUpBackupKey(profile.dir)
    const dest = tempDir()
    await runCli(['backup', '--profile', profile.dir, '--to', dest])
    const [file] = backupFiles(dest)
    const other = join(tempDir(), 'other.txt')
    writeFileSync(other, formatKeyHex(generateBackupKey().secret))
    for (const command of [
      ['verify', file as string, '--key-file', other],
      ['restore', file as string, '--profile', profile.dir, '--key-file', other],
    ]) {
      const result = await runCli(command)
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(
        /This backup needs the key with fingerprint .*; the key given has fingerprint/,
      )
    }
    // Without the sidecar the key is tried, and the age header says it does not match.
    rmSync(`${file}.json`)
    const bare = await runCli([
      'restore',
      file as string,
      '--profile',
      profile.dir,
      '--key-file',
      other,
    ])
    expect(bare.code).toBe(1)
    expect(bare.stderr).toMatch(/This backup was not made with this key/)
    expect(messageCount(profile.dir)).toBe(4)
  })

  it("refuses another profile's key with the same clarity", async () => {
    const a = await makeProfile({ messages: 2 })
    const b = await makeProfile({ messages: 2 })
    setUpBackupKey(a.dir)
    const { keyFile: keyOfB } = setUpBackupKey(b.dir)
    const dest = tempDir()
    await runCli(['backup', '--profile', a.dir, '--to', dest])
    const result = await runCli([
      'restore',
      backupFiles(dest)[0] as string,
      '--profile',
      a.dir,
      '--key-file',
      keyOfB,
    ])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/another profile, or a typo/)
  })

  it('explains a malformed key file precisely', async () => {
    const profile = await makeProfile({ messages: 1 })
    setUpBackupKey(profile.dir)
    const dest = tempDir()
    await runCli(['backup', '--profile', profile.dir, '--to', dest])
    const bad = join(tempDir(), 'bad.txt')
    writeFileSync(bad, '1234 5678 9abc')
    const result = await runCli(['verify', backupFiles(dest)[0] as string, '--key-file', bad])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /does not hold a backup key: The key has 12 hex digits; a backup key has 64\. 52 are missing\./,
    )
  })

  it('says when no keychain is usable, suggests --print, and creates no key', async () => {
    const profile = await makeProfile({ messages: 1 })
    const result = await runCli(['key', 'create', '--profile', profile.dir], {
      env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' },
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /The system keychain cannot be used: .*Use --print to keep the key yourself instead/,
    )
    expect(
      JSON.parse(readFileSync(join(profile.dir, 'settings.json'), 'utf8')).backup,
    ).toBeUndefined()
  })

  it('needs a backup key before a backup, and a folder to write to', async () => {
    const profile = await makeProfile({ messages: 1 })
    const none = await runCli(['backup', '--profile', profile.dir, '--to', tempDir()])
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(
      /Backups are not set up for this profile yet: create a backup key first/,
    )
    setUpBackupKey(profile.dir)
    const missing = join(tempDir(), 'unplugged-drive')
    const result = await runCli(['backup', '--profile', profile.dir, '--to', missing])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /The backup folder .*unplugged-drive does not exist\. If it is on a removable or network drive, connect it/,
    )
    expect(existsSync(missing)).toBe(false)
  })

  it('sets the folder and schedule the app follows, and refuses a schedule it cannot read', async () => {
    const profile = await makeProfile({ messages: 1 })
    setUpBackupKey(profile.dir)
    const dest = tempDir()
    const set = await runCli([
      'schedule',
      '--profile',
      profile.dir,
      '--to',
      dest,
      '--weekly',
      'sun@20:00',
      '--keep-last',
      '5',
      '--json',
    ])
    expect(set.code).toBe(0)
    expect(JSON.parse(set.stdout)).toMatchObject({
      destination: dest,
      schedule: { kind: 'weekly', weekday: 0, time: '20:00' },
      retention: { keepLast: 5 },
      nextDueAt: expect.any(String),
    })
    // The backup command then needs no --to.
    expect((await runCli(['backup', '--profile', profile.dir])).code).toBe(0)
    expect(backupFiles(dest)).toHaveLength(1)
    const shown = await runCli(['schedule', '--profile', profile.dir])
    expect(shown.stdout).toMatch(/Schedule: +every Sunday at 20:00/)
    const bad = await runCli(['schedule', '--profile', profile.dir, '--daily', '25:00'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/invalid schedule/)
    const missing = await runCli(['schedule', '--profile', profile.dir, '--to', join(dest, 'nope')])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/does not exist/)
  })

  it('lists --help for every command and exits 2 on usage mistakes', async () => {
    for (const command of [
      'key',
      'backup',
      'schedule',
      'list',
      'verify',
      'restore',
      'decrypt',
      'import',
    ]) {
      const help = await runCli([command, '--help'])
      expect(help.code, command).toBe(0)
      expect(help.stdout, command).toContain(`cairn ${command}`)
    }
    expect((await runCli(['list'])).code).toBe(2)
    expect((await runCli(['verify'])).code).toBe(2)
    expect((await runCli(['key', 'frob'])).code).toBe(2)
  })
})
