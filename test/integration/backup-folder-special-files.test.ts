import { spawnSync } from 'node:child_process'
import { copyFileSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLI } from '../support/cli'
import { backUp, backupFiles, setUpBackupKey } from '../support/backup-fixtures'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

/**
 * Anyone who can write into the backup folder can put a fifo, or a link to
 * a device, under a backup's or a sidecar's name. Opening a fifo waits for
 * a writer and /dev/zero never ends: listing and verifying must neither
 * hang nor read forever. The CLI runs with a deadline and is killed past it,
 * so a hang fails the test instead of stalling it.
 */
function cli(args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    killSignal: 'SIGKILL',
  })
  return {
    code: result.status,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
  }
}

async function oneBackup() {
  const profile = await makeProfile({ messages: 3 })
  const { key, keyFile } = setUpBackupKey(profile.dir)
  const dest = tempDir()
  await backUp(profile, key, dest)
  const [file] = backupFiles(dest)
  return { file: file as string, name: basename(file as string), keyFile }
}

describe('special files in a backup folder', () => {
  it('a fifo under a sidecar name: cairn list still lists the folder', async () => {
    const { file, name } = await oneBackup()
    const dir = tempDir()
    copyFileSync(file, join(dir, name))
    copyFileSync(`${file}.json`, join(dir, `${name}.json`))
    const planted = 'cairn-backup-20300101T000000Z.tar.zst.age'
    writeFileSync(join(dir, planted), Buffer.alloc(16))
    spawnSync('mkfifo', [join(dir, `${planted}.json`)])

    const listed = cli(['list', '--to', dir, '--json'])
    expect(listed.signal, 'cairn list hung on the fifo').toBeNull()
    expect(listed.stderr).toBe('')
    expect(listed.code).toBe(0)
    const backups = JSON.parse(listed.stdout) as { name: string; complete: boolean }[]
    expect(backups.map((b) => b.name).sort()).toEqual([name, planted].sort())
  }, 120_000)
})

describe('special files beside a backup named by its path', () => {
  it('a sidecar that is a fifo or a link to /dev/zero: verify neither hangs nor reads forever', async () => {
    const { file, name } = await oneBackup()
    for (const plant of ['fifo', 'zero'] as const) {
      const dir = tempDir()
      copyFileSync(file, join(dir, name))
      if (plant === 'fifo') spawnSync('mkfifo', [join(dir, `${name}.json`)])
      else symlinkSync('/dev/zero', join(dir, `${name}.json`))

      const verified = cli(['verify', join(dir, name)])
      expect(verified.signal, `cairn verify hung on a ${plant} sidecar`).toBeNull()
      // No sidecar to check the file against: said, not a hang or a crash.
      expect(verified.stderr).toMatch(/sidecar/i)
      expect(verified.code).toBe(1)
    }
  }, 120_000)
})

describe('a backup path that is not a regular file', () => {
  it('a fifo or a link to /dev/zero is refused as what it is, not called a folder', async () => {
    const { file, name, keyFile } = await oneBackup()
    for (const plant of ['fifo', 'zero'] as const) {
      const dir = tempDir()
      if (plant === 'fifo') spawnSync('mkfifo', [join(dir, name)])
      else symlinkSync('/dev/zero', join(dir, name))
      copyFileSync(`${file}.json`, join(dir, `${name}.json`))

      const verified = cli(['verify', join(dir, name), '--key-file', keyFile])
      expect(verified.signal).toBeNull()
      expect(verified.code).toBe(1)
      expect(verified.stderr).not.toMatch(/is a folder/)
      expect(verified.stderr).toMatch(/not a regular file/)
    }
  }, 120_000)
})

describe('a sidecar carrying terminal escape sequences', () => {
  it('is not Cairn’s: cairn list and verify print none of its control characters', async () => {
    const { file, name } = await oneBackup()
    const dir = tempDir()
    copyFileSync(file, join(dir, name))
    // "Conceal" (ESC[8m) in the key fingerprint would hide the rest of the line, where list
    // says that a backup is incomplete or that its sidecar describes another name.
    const sidecar = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as Record<string, unknown>
    sidecar.keyFingerprint = `${String(sidecar.keyFingerprint)}\u001b[8m`
    sidecar.createdAt = `${String(sidecar.createdAt)}\u009b2J`
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(sidecar))

    const listed = cli(['list', '--to', dir])
    expect(listed.code).toBe(0)
    expect(listed.stdout).toContain(name)
    for (const control of ['\u001b', '\u009b']) expect(listed.stdout).not.toContain(control)
    const verified = cli(['verify', join(dir, name)])
    expect(verified.code).toBe(1)
    for (const control of ['\u001b', '\u009b']) expect(verified.stderr).not.toContain(control)
  }, 120_000)
})

describe('a sidecar whose creation time is not a time as Cairn writes it', () => {
  it('is no sidecar: cairn list calls the backup incomplete and verify never repeats the text', async () => {
    const { file, name } = await oneBackup()
    const real = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as Record<string, unknown>
    const made = new Date(String(real.createdAt))
    // The same second in another spelling (passes every check by date), no date, no such day.
    for (const createdAt of [made.toUTCString(), 'last Tuesday', '2026-02-30T00:00:00.000Z']) {
      const dir = tempDir()
      copyFileSync(file, join(dir, name))
      writeFileSync(join(dir, `${name}.json`), JSON.stringify({ ...real, createdAt }))

      const listed = cli(['list', '--to', dir, '--json'])
      expect(listed.code, createdAt).toBe(0)
      expect(JSON.parse(listed.stdout), createdAt).toMatchObject([
        { name, complete: false, consistent: true, keyFingerprint: null },
      ])
      const verified = cli(['verify', join(dir, name)])
      expect(verified.code, createdAt).toBe(1)
      expect(verified.stderr, createdAt).not.toContain(createdAt)
    }
  }, 120_000)
})
