import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { restoreBackup } from '../../../main/backup/restore/restore'
import { accountSecrets } from '../../../main/keychain/account-secrets'
import { osKeychain } from '../../../main/keychain/keychain'
import { openMailDb } from '../../../main/mail/db/connection'
import type { AccountState } from '../../../main/mail/sync/account-state'
import { openServices } from '../../../main/services'
import { backupFiles, setUpBackupKey } from '../../support/backup-fixtures'
import { runCli } from '../../support/cli'
import { seedMaildir, startDovecot, type Dovecot } from '../../support/dovecot'
import { useRealKeychain } from '../../support/keyring'
import { makeProfile } from '../../support/profiles'
import { imapsSettings, localMessageIds, realisticMessage, waitFor } from '../../support/sync-world'
import { makeTestCertificate } from '../../support/test-ca'
import { tempDir } from '../../support/temp'

const cert = makeTestCertificate()
let keyring: Awaited<ReturnType<typeof useRealKeychain>>
let dovecot: Dovecot

beforeAll(async () => {
  keyring = await useRealKeychain()
  dovecot = await startDovecot({
    certificate: cert,
    users: [{ name: 'rosa', password: 'rosa-password' }],
  })
})
afterAll(async () => {
  await dovecot?.stop()
  keyring?.stop()
})

/** The messages of the account's Inbox in the profile, by UID (read beside the running app). */
function inbox(profileDir: string, accountId: number) {
  const db = openMailDb(join(profileDir, 'mail.sqlite'), { readonly: true })
  try {
    return localMessageIds(db, accountId, 'INBOX')
  } finally {
    db.close()
  }
}

describe('backups keep mail accounts working', () => {
  it('a profile with an account backed up, wiped and restored syncs without asking for the password', async () => {
    seedMaildir(
      dovecot,
      'rosa',
      [0, 1, 2].map((i) => ({ raw: realisticMessage(i) })),
    )
    const profile = await makeProfile({ messages: 1 })
    const { key } = setUpBackupKey(profile.dir)

    // The app, with an account added and synced once.
    let services = openServices(profile.dir)
    let accountId: number
    try {
      const settings = imapsSettings(dovecot, cert, 'rosa')
      ;({ accountId } = await services.mailAccounts.accounts.add({
        email: 'rosa@example.test',
        password: 'rosa-password',
        imap: settings,
        smtp: settings,
        verify: false, // (no SMTP server here: this test is about IMAP sign-in after a restore)
      }))
      await services.mailAccounts.sync.syncOnce(accountId)
      expect(inbox(profile.dir, accountId).size).toBe(3)
    } finally {
      await services.close()
    }

    const dest = tempDir()
    const backup = await runCli(['backup', '--profile', profile.dir, '--to', dest, '--json'])
    expect(JSON.parse(backup.stdout)).toMatchObject({ accountSecrets: 1 })
    const [file] = backupFiles(dest) as [string]

    // Disaster: the profile and the keychain entry are gone. Meanwhile mail keeps arriving.
    const secrets = accountSecrets(osKeychain(), profile.id)
    secrets.delete(accountId, 'password')
    rmSync(profile.dir, { recursive: true, force: true })
    seedMaildir(dovecot, 'rosa', [{ raw: realisticMessage(3) }])

    const restored = await restoreBackup({ file, key, profileDir: profile.dir })
    expect(restored.accountSecretsRestored).toBe(1)

    // The restored app syncs by itself: the new message arrives, no state ever asks for the password.
    services = openServices(profile.dir)
    const states: AccountState[] = []
    const off = services.mailAccounts.sync.events.on('accountState', (s) => states.push(s))
    try {
      await waitFor(() => inbox(profile.dir, accountId).size === 4, 30_000)
      expect(states.map((s) => s.status)).not.toContain('auth_failed')
      expect(services.mailAccounts.sync.states()).toEqual([
        expect.objectContaining({ accountId, status: expect.stringMatching(/idle|syncing/) }),
      ])
      expect(secrets.get(accountId, 'password')).toBe('rosa-password')
    } finally {
      off()
      await services.close()
    }
  })
})
