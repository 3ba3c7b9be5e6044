import { readBackupSettings, recordBackupRun } from './backup/backup-settings.js'
import { readDestinations, updateDestination } from './backup/destination/destination-settings.js'
import { recoverInterruptedRestore } from './backup/restore/recover.js'
import { PROFILE_TARGET } from './backup/schedule/targets.js'
import { ChatService } from './chat/chat-service.js'
import { runBackupInWorker } from './backup/schedule/run-in-worker.js'
import { BackupScheduler } from './backup/schedule/scheduler.js'
import { accountSecrets } from './keychain/account-secrets.js'
import { osKeychain } from './keychain/keychain.js'
import { openMailDb, type MailDb } from './mail/db/connection.js'
import { startAttachmentSweep } from './mail/attachment-sweep.js'
import { openMailAccounts, type MailAccounts } from './mail/mail-accounts.js'
import { openMailDesk, type MailDesk } from './mail/mail-desk.js'
import { MailService, type MailServiceOptions } from './mail/mail-service.js'
import { openProfile, type Profile } from './profile/profile.js'
import { vaultConnection } from './vault/client-options.js'
import { checkVaultRecord, vaultRecordOf, VaultRecordWatch } from './vault/record-check.js'

/** The services of one open profile: what the Electron app and the browser build's host both serve. */
export interface CairnServices {
  readonly profile: Profile
  readonly mail: MailService
  /** Chat accounts, connected while the profile is open (none until the user adds one). */
  readonly chat: ChatService
  /** Mail accounts: settings, sync with push, the outbox (no accounts: idle). */
  readonly mailAccounts: MailAccounts
  /** Message and folder actions, compose and drafts, attachments out. */
  readonly mailDesk: MailDesk
  /** Scheduled backups, run in a worker thread; idle until backups are set up. */
  readonly backups: BackupScheduler
  /**
   * Checks the profile's vault record soon after opening and every 12
   * hours (no guess spent): the app shows its latest() status and offers
   * its action (confirm the password, or set a new one when it is gone).
   */
  readonly vaultRecord: VaultRecordWatch
  close(): Promise<void>
}

export interface ServiceOptions {
  mail?: MailServiceOptions
}

export function openServices(profileDir: string, options: ServiceOptions = {}): CairnServices {
  // A restore that a crash interrupted is finished or undone before the profile opens.
  recoverInterruptedRestore(profileDir)
  const profile = openProfile(profileDir)
  let db: MailDb
  try {
    db = openMailDb(profile.paths.database)
  } catch (error) {
    profile.close()
    throw error
  }
  const mail = new MailService(db, profile.paths, options.mail)
  const backups = new BackupScheduler({
    profileDir: profile.paths.dir,
    profileId: profile.id,
    settings: () => readBackupSettings(profile),
    destinations: () => {
      try {
        return readDestinations(profile)
      } catch {
        return {} // damaged entries: the profile's own destination still runs
      }
    },
    record: (run, target) =>
      target.id === PROFILE_TARGET || !target.name
        ? recordBackupRun(profile, run)
        : updateDestination(profile, target.name, (entry) => ({ ...entry, ...run })),
    run: runBackupInWorker,
  })
  backups.start()
  const vaultRecord = new VaultRecordWatch(async () =>
    checkVaultRecord({
      record: vaultRecordOf(readBackupSettings(profile)),
      keychain: osKeychain(),
      clientOptions: vaultConnection(process.env),
    }),
  )
  vaultRecord.start()
  const chat = new ChatService(db, profile.paths, accountSecrets(osKeychain(), profile.id))
  // A keychain that cannot be read shows as each account's connection state, not as a failed start.
  chat.startAll()
  const mailAccounts = openMailAccounts({ db, paths: profile.paths, profileId: profile.id })
  mailAccounts.start()
  const mailDesk = openMailDesk({ db, paths: profile.paths, mail, accounts: mailAccounts })
  // The files of deleted mail and chats leave the profile (and the next backups).
  const sweep = startAttachmentSweep(db, profile.paths.attachments)
  return {
    profile,
    mail,
    mailAccounts,
    mailDesk,
    backups,
    vaultRecord,
    chat,
    async close() {
      sweep.stop()
      await vaultRecord.stop()
      await chat.close()
      await backups.stop()
      await mailDesk.close()
      await mailAccounts.close()
      await mail.close()
      db.close()
      profile.close()
    },
  }
}
