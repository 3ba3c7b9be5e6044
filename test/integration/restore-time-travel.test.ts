import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backupName } from '../../main/backup/destination/names'
import { planRestore } from '../../main/backup/restore/restore'
import { runBackup } from '../../main/backup/run-backup'
import { isCairnError } from '../../main/shared/errors'
import { backupFiles, messageCount, setUpBackupKey } from '../support/backup-fixtures'
import { runCli } from '../support/cli'
import { useRealKeychain } from '../support/keyring'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

// `cairn key import` keeps the key in the OS keychain: a real one, private to this file.
let keyring: Awaited<ReturnType<typeof useRealKeychain>>
beforeAll(async () => {
  keyring = await useRealKeychain()
})
afterAll(() => keyring?.stop())

async function importMore(profileDir: string, count: number) {
  const mbox = join(tempDir(), 'more.mbox')
  writeFileSync(
    mbox,
    buildMbox(
      Array.from({ length: count }, (_, i) =>
        buildMessage({ subject: `later ${i}`, text: 'later' }),
      ),
    ),
  )
  expect((await runCli(['import', '--profile', profileDir, mbox])).code).toBe(0)
}

/** 30 messages backed up, then 20 more and a second backup: the folder holds both. */
async function twoBackups() {
  const profile = await makeProfile({ messages: 30 })
  const { key, keyFile } = setUpBackupKey(profile.dir)
  const dest = tempDir()
  expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
  await new Promise((resolve) => setTimeout(resolve, 1100)) // another second, another name
  await importMore(profile.dir, 20)
  expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
  const [older, newer] = backupFiles(dest) as [string, string]
  return { profile, key, keyFile, dest, older, newer }
}

/** What an attacker (or a confused sync tool) can do without the key: rename a backup and edit its sidecar. */
function disguiseAsNewest(file: string, newer: string): string {
  const sidecar = JSON.parse(readFileSync(`${newer}.json`, 'utf8'))
  const later = new Date(new Date(sidecar.createdAt).getTime() + 3_600_000)
  const name = backupName(later)
  const target = join(dirname(file), name)
  const own = JSON.parse(readFileSync(`${file}.json`, 'utf8'))
  renameSync(file, target)
  renameSync(`${file}.json`, `${target}.json`)
  writeFileSync(
    `${target}.json`,
    JSON.stringify({ ...own, file: name, createdAt: later.toISOString() }),
  )
  return target
}

describe('going back in time is never silent', () => {
  it('an older backup renamed and its sidecar edited to look newest: verify and restore see through it', async () => {
    const { profile, keyFile, dest, older, newer } = await twoBackups()
    const disguised = disguiseAsNewest(older, newer)
    // Listed as newest (the plaintext says so)…
    const listed = JSON.parse((await runCli(['list', '--to', dest, '--json'])).stdout)
    expect(listed.at(-1)).toMatchObject({ name: basename(disguised), consistent: true })
    // …but the encrypted contents say otherwise.
    const verified = await runCli(['verify', disguised, '--key-file', keyFile])
    expect(verified.code).toBe(1)
    expect(verified.stderr).toMatch(
      /its file name says it was made on .*, but its contents were made on/,
    )
    const refused = await runCli([
      'restore',
      disguised,
      '--profile',
      profile.dir,
      '--key-file',
      keyFile,
    ])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(
      /This would replace the profile at .* \(50 messages, last backed up on .*\) with the backup of .* \(30 messages\), but:/,
    )
    expect(refused.stderr).toMatch(
      /its sidecar says it was made on .*, but its contents were made on/,
    )
    expect(refused.stderr).toMatch(
      /a newer backup of this profile is in the same folder \(cairn-backup-/,
    )
    expect(refused.stderr).toMatch(
      /Nothing was changed\. To restore it anyway, run the command again with --force\./,
    )
    expect(messageCount(profile.dir)).toBe(50)
    expect(readdirSync(join(profile.dir, '..'))).toEqual(['profile'])
    // The user, told all this, may still want it.
    const forced = await runCli([
      'restore',
      disguised,
      '--profile',
      profile.dir,
      '--key-file',
      keyFile,
      '--force',
    ])
    expect(forced.code).toBe(0)
    expect(forced.stdout).toMatch(/the mailbox now holds 30 messages \(it held 50\)\./)
    expect(messageCount(profile.dir)).toBe(30)
  })

  it("an older backup of the profile (known from the profile's own record) needs a yes", async () => {
    const { profile, keyFile, older, newer } = await twoBackups()
    // The newer backup is gone from the folder: the profile itself remembers it.
    renameSync(newer, join(tempDir(), 'elsewhere.age'))
    const refused = await runCli([
      'restore',
      older,
      '--profile',
      profile.dir,
      '--key-file',
      keyFile,
    ])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(
      /This backup was made on .*, but this profile's newest backup was made on .*: restoring it loses everything since\./,
    )
    expect(messageCount(profile.dir)).toBe(50)
  })

  it("another profile's backup needs a yes", async () => {
    const a = await makeProfile({ messages: 3 })
    const b = await makeProfile({ messages: 7 })
    const { keyFile } = setUpBackupKey(a.dir)
    const dest = tempDir()
    expect((await runCli(['backup', '--profile', a.dir, '--to', dest])).code).toBe(0)
    const refused = await runCli([
      'restore',
      backupFiles(dest)[0] as string,
      '--profile',
      b.dir,
      '--key-file',
      keyFile,
    ])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(
      `This backup is of another profile (${a.id}) than the one it would replace (${b.id})`,
    )
    expect(messageCount(b.dir)).toBe(7)
    const forced = await runCli([
      'restore',
      backupFiles(dest)[0] as string,
      '--profile',
      b.dir,
      '--key-file',
      keyFile,
      '--force',
    ])
    expect(forced.code).toBe(0)
    expect(messageCount(b.dir)).toBe(3)
  })

  it("over a profile that holds nothing yet (made only to hold the key), another profile's backup does not ask", async () => {
    const a = await makeProfile({ messages: 3 })
    const { keyFile } = setUpBackupKey(a.dir)
    const dest = tempDir()
    expect((await runCli(['backup', '--profile', a.dir, '--to', dest])).code).toBe(0)
    const fresh = join(tempDir(), 'profile')
    expect((await runCli(['key', 'import', '--profile', fresh, '--key-file', keyFile])).code).toBe(
      0,
    )
    const restored = await runCli([
      'restore',
      backupFiles(dest)[0] as string,
      '--profile',
      fresh,
      '--key-file',
      keyFile,
    ])
    expect(restored.stderr).toBe('')
    expect(restored.code).toBe(0)
    expect(messageCount(fresh)).toBe(3)
  })

  it('a tampered sidecar fingerprint does not make restore refuse the right key', async () => {
    const profile = await makeProfile({ messages: 4 })
    const { keyFile } = setUpBackupKey(profile.dir)
    const dest = tempDir()
    expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
    const [file] = backupFiles(dest) as [string]
    const sidecar = JSON.parse(readFileSync(`${file}.json`, 'utf8'))
    writeFileSync(`${file}.json`, JSON.stringify({ ...sidecar, keyFingerprint: 'dead-beef-0000' }))
    const asked = await runCli(['restore', file, '--profile', profile.dir, '--key-file', keyFile])
    expect(asked.code).toBe(1)
    expect(asked.stderr).not.toMatch(/needs the key with fingerprint/)
    expect(asked.stderr).toMatch(/its sidecar names key dead-beef-0000, but it opened with key/)
    const forced = await runCli([
      'restore',
      file,
      '--profile',
      profile.dir,
      '--key-file',
      keyFile,
      '--force',
    ])
    expect(forced.stderr).toBe('')
    expect(forced.code).toBe(0)
  })

  it('a newer backup made within the same second (an incremental takes a moment) still makes an older one ask', async () => {
    const profile = await makeProfile({ messages: 6 })
    const { key } = setUpBackupKey(profile.dir)
    const dest = tempDir()
    const at = (ms: number) => () => new Date(Date.UTC(2026, 10, 27, 9, 0, 0, ms))
    const request = {
      profileDir: profile.dir,
      destination: dest,
      recipient: key.recipient,
      keyFingerprint: key.fingerprint,
      profileId: profile.id,
    }
    const first = await runBackup({ ...request, now: at(100) })
    await importMore(profile.dir, 2)
    const second = await runBackup({ ...request, now: at(400) })
    expect(second.kind).toBe('incremental')
    const plan = await planRestore({ file: first.path, key, profileDir: profile.dir })
    try {
      expect(plan.confirmations.map((c) => c.kind)).toEqual(['older-than-newest-backup'])
      expect(plan.confirmations[0]?.message).toContain(second.name)
    } finally {
      plan.discard()
    }
  })

  it('for the app: planRestore says what would change and what needs confirming; execute needs the yes', async () => {
    const { profile, key, older } = await twoBackups()
    const plan = await planRestore({ file: older, key, profileDir: profile.dir })
    try {
      expect(plan.summary).toMatchObject({
        backup: { messages: 30, keyFingerprint: key.fingerprint, profileId: profile.id },
        live: {
          exists: true,
          messages: 50,
          profileId: profile.id,
          newestBackupAt: expect.any(String),
        },
      })
      expect(plan.confirmations.map((c) => c.kind)).toEqual(['older-than-newest-backup'])
      const error = await plan.execute().catch((e: unknown) => e)
      expect(isCairnError(error, 'RESTORE_NEEDS_CONFIRMATION')).toBe(true)
      expect(messageCount(profile.dir)).toBe(50)
      const result = await plan.execute({ confirm: ['older-than-newest-backup'] })
      expect(result.summary.backup.messages).toBe(30)
      expect(messageCount(profile.dir)).toBe(30)
    } finally {
      plan.discard()
    }
    expect(readdirSync(join(profile.dir, '..'))).toEqual(['profile'])
  })
})
