import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { restoreBackup } from '../../main/backup/restore/restore'
import { runBackupInWorker } from '../../main/backup/schedule/run-in-worker'
import { accountSecrets } from '../../main/keychain/account-secrets'
import { osKeychain } from '../../main/keychain/keychain'
import { openMailDb } from '../../main/mail/db/connection'
import { backupFiles, setUpBackupKey } from '../support/backup-fixtures'
import { runCli } from '../support/cli'
import { craftBackup, manifestOf, readWithStandardTools } from '../support/crafted-backups'
import { useRealKeychain } from '../support/keyring'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
let privateTmp: string
let previousTmp: string | undefined
beforeAll(async () => {
  keyring = await useRealKeychain()
  // Every temporary file of these tests and of the CLIs they run lands here, to be searched.
  privateTmp = mkdtempSync(join(tmpdir(), 'cairn-secrets-tmp-'))
  previousTmp = process.env.TMPDIR
  process.env.TMPDIR = privateTmp
})
afterAll(() => {
  if (previousTmp === undefined) delete process.env.TMPDIR
  else process.env.TMPDIR = previousTmp
  rmSync(privateTmp, { recursive: true, force: true })
  keyring?.stop()
})

/** Files under `dir` (not following links) whose bytes contain any of `secrets`. */
function filesHolding(dir: string, secrets: string[]): string[] {
  const found: string[] = []
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name)
    if (!lstatSync(path).isFile()) continue
    const bytes = readFileSync(path)
    if (secrets.some((s) => bytes.includes(Buffer.from(s)))) found.push(path)
  }
  return found
}

/** A profile with a mail account (password and OAuth token) and a chat account (password) in the keychain. */
async function profileWithAccounts() {
  const profile = await makeProfile({ messages: 3 })
  const db = openMailDb(join(profile.dir, 'mail.sqlite'))
  const add = db.prepare(
    `INSERT INTO accounts (kind, name, email, config_json, created_at) VALUES (?, ?, ?, ?, ?)`,
  )
  const imap = Number(
    add.run('imap', 'Work', 'me@work.example', '{"host":"imap.work.example"}', Date.now())
      .lastInsertRowid,
  )
  const xmpp = Number(
    add.run('xmpp', 'Chat', 'me@chat.example', '{"domain":"chat.example"}', Date.now())
      .lastInsertRowid,
  )
  db.close()
  const secrets = {
    imapPassword: `imap-pw-${randomBytes(12).toString('hex')}`,
    imapToken: JSON.stringify({ refresh_token: `rt-${randomBytes(16).toString('hex')}` }),
    xmppPassword: `xmpp-pw-${randomBytes(12).toString('hex')}`,
  }
  const store = accountSecrets(osKeychain(), profile.id)
  store.set(imap, 'password', secrets.imapPassword)
  store.set(imap, 'oauth', secrets.imapToken)
  store.set(xmpp, 'password', secrets.xmppPassword)
  const { key, keyFile } = setUpBackupKey(profile.dir)
  return { profile, key, keyFile, imap, xmpp, secrets, all: Object.values(secrets) }
}

describe('account secrets travel inside the encrypted backup', () => {
  it('backup → keychain entries deleted, profile wiped → restore → the secrets are back; never on disk in the clear', async () => {
    const { profile, key, keyFile, imap, xmpp, secrets, all } = await profileWithAccounts()
    const dest = tempDir()
    const backup = await runCli(['backup', '--profile', profile.dir, '--to', dest, '--json'])
    expect(backup.stderr).toBe('')
    expect(JSON.parse(backup.stdout)).toMatchObject({ accountSecrets: 3, warnings: [] })
    const [file] = backupFiles(dest) as [string]
    const verified = await runCli(['verify', file, '--key-file', keyFile, '--json'])
    expect(JSON.parse(verified.stdout)).toMatchObject({ level: 'full', accountSecrets: 3 })
    // With standard tools the entry is there, inside the encryption, listed in the manifest.
    const entries = readWithStandardTools(file, key)
    expect(manifestOf(entries).files).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'cairn-secrets.json' })]),
    )

    // Disaster: the keychain entries and the profile are gone.
    const store = accountSecrets(osKeychain(), profile.id)
    for (const [id, purpose] of [
      [imap, 'password'],
      [imap, 'oauth'],
      [xmpp, 'password'],
    ] as const)
      store.delete(id, purpose)
    expect(store.get(imap, 'password')).toBeNull()
    rmSync(profile.dir, { recursive: true, force: true })

    let duringRestore: string[] | null = null
    const result = await restoreBackup({
      file,
      key,
      profileDir: profile.dir,
      // The restore is complete in its staging folder, about to be swapped in: look everywhere on disk.
      onStep: (step) => {
        if (step === 'prepared') duringRestore = filesHolding(privateTmp, all)
      },
    })
    expect(duringRestore).toEqual([])
    expect(result.accountSecretsRestored).toBe(3)
    expect(store.get(imap, 'password')).toBe(secrets.imapPassword)
    expect(store.get(imap, 'oauth')).toBe(secrets.imapToken)
    expect(store.get(xmpp, 'password')).toBe(secrets.xmppPassword)
    // Not in the profile folder, the backup folder (sidecar included) or any temporary file.
    expect(filesHolding(privateTmp, all)).toEqual([])
  })

  it("the app's backups (run in a worker thread) carry them too", async () => {
    const { profile, key } = await profileWithAccounts()
    const result = await runBackupInWorker({
      profileDir: profile.dir,
      destination: tempDir(),
      recipient: key.recipient,
      keyFingerprint: key.fingerprint,
      profileId: profile.id,
    })
    expect(result).toMatchObject({ accountSecrets: 3, warnings: [] })
  })

  it('restoring with the CLI says the passwords are back', async () => {
    const { profile, keyFile, imap, secrets } = await profileWithAccounts()
    const dest = tempDir()
    expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).stdout).toMatch(
      /and 3 account passwords to /,
    )
    accountSecrets(osKeychain(), profile.id).delete(imap, 'password')
    const restored = await runCli([
      'restore',
      backupFiles(dest)[0] as string,
      '--profile',
      profile.dir,
      '--key-file',
      keyFile,
    ])
    expect(restored.stderr).toBe('')
    expect(restored.stdout).toMatch(/, and 3 account passwords are back in the keychain\./)
    expect(accountSecrets(osKeychain(), profile.id).get(imap, 'password')).toBe(
      secrets.imapPassword,
    )
  })

  it('with no keychain, the backup is made without the secrets and says so; a restore that could not put them back asks first', async () => {
    const { profile, keyFile } = await profileWithAccounts()
    const noKeychain = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' }
    const dest = tempDir()
    const first = await runCli(['backup', '--profile', profile.dir, '--to', dest, '--json'], {
      env: noKeychain,
    })
    expect(first.code).toBe(0)
    expect(first.stderr).toMatch(
      /^Warning: The system keychain cannot be used: .* This backup holds no account passwords: after restoring it, Cairn will ask for the passwords of your 2 accounts again\./,
    )
    expect(JSON.parse(first.stdout)).toMatchObject({ accountSecrets: 0 })
    // A backup made with the keychain, restored without it.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
    const withSecrets = backupFiles(dest)[1] as string
    const refused = await runCli(
      ['restore', withSecrets, '--profile', profile.dir, '--key-file', keyFile],
      { env: noKeychain },
    )
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(
      /This backup holds 3 account password\(s\), but the system keychain cannot be used: .*restored now, the accounts will ask for their passwords again\./,
    )
    const forced = await runCli(
      ['restore', withSecrets, '--profile', profile.dir, '--key-file', keyFile, '--force'],
      { env: noKeychain },
    )
    expect(forced.code).toBe(0)
    expect(forced.stderr).toMatch(
      /^Warning: The account passwords could not be put back into the keychain/,
    )
  })

  it('a backup whose account points elsewhere, without secrets, does not inherit the saved ones', async () => {
    // Anyone who can write to the backup folder can encrypt a backup to the public recipient:
    // the user's profile id (from a sidecar), account ids as Cairn numbers them, the mail
    // account's server their own, and no secrets entry. Restored (it looks like the newest
    // backup), the keychain entries, looked up by profile and account id, must not follow.
    const { profile, key, keyFile, imap, xmpp, secrets } = await profileWithAccounts()
    const dest = tempDir()
    expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
    const entries = readWithStandardTools(backupFiles(dest)[0] as string, key)
    const manifest = manifestOf(entries)
    const files = entries
      .slice(1)
      .filter(([name]) => name !== 'cairn-secrets.json')
      .map(([name, content]): [string, Buffer] => {
        if (name !== 'mail.sqlite') return [name, content]
        const path = join(tempDir(), 'mail.sqlite')
        writeFileSync(path, content)
        const db = new Database(path)
        db.prepare(`UPDATE accounts SET config_json = ? WHERE id = ?`).run(
          '{"host":"imap.attacker.example"}',
          imap,
        )
        db.close()
        return [name, readFileSync(path)]
      })
    const crafted = await craftBackup(join(tempDir(), 'crafted.tar.zst.age'), key, files, {
      profileId: manifest.profileId,
      createdAt: new Date(Date.now() + 60_000).toISOString(),
      schemaVersion: manifest.schemaVersion,
      keyFingerprint: key.fingerprint,
    })

    const restored = await runCli([
      'restore',
      crafted,
      '--profile',
      profile.dir,
      '--key-file',
      keyFile,
      '--force',
    ])
    expect(restored.code, restored.stderr).toBe(0)
    const store = accountSecrets(osKeychain(), profile.id)
    expect(store.get(imap, 'password')).toBeNull()
    expect(store.get(imap, 'oauth')).toBeNull()
    expect(restored.stderr).toMatch(/2 saved account password\(s\) were not kept/)
    // The chat account is the very one it was: its password stays.
    expect(store.get(xmpp, 'password')).toBe(secrets.xmppPassword)
  })

  it('verify checks the secrets entry: one for an account the mailbox does not have is refused', async () => {
    const { profile, key, keyFile } = await profileWithAccounts()
    const dest = tempDir()
    expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
    const entries = readWithStandardTools(backupFiles(dest)[0] as string, key)
    const manifest = manifestOf(entries)
    const files = entries.slice(1).map(([name, content]): [string, Buffer] => {
      if (name !== 'cairn-secrets.json') return [name, content]
      const entry = JSON.parse(content.toString())
      entry.secrets[0].accountId = 999
      return [name, Buffer.from(JSON.stringify(entry))]
    })
    const crafted = await craftBackup(join(tempDir(), 'crafted.tar.zst.age'), key, files, {
      profileId: manifest.profileId,
      createdAt: manifest.createdAt,
      schemaVersion: manifest.schemaVersion,
    })
    const verified = await runCli(['verify', crafted, '--key-file', keyFile])
    expect(verified.code).toBe(1)
    expect(verified.stderr).toMatch(
      /its account secrets entry is invalid \(it holds a secret for account 999, which its mailbox does not have\)/,
    )
  })
})
