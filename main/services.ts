import { readBackupSettings, recordBackupRun } from './backup/backup-settings.js'
import { recoverInterruptedRestore } from './backup/restore/recover.js'
import { runBackupInWorker } from './backup/schedule/run-in-worker.js'
import { BackupScheduler } from './backup/schedule/scheduler.js'
import { openMailDb, type MailDb } from './mail/db/connection.js'
import { openMailAccounts, type MailAccounts } from './mail/mail-accounts.js'
import { MailService } from './mail/mail-service.js'
import { openProfile, type Profile } from './profile/profile.js'

/** The services of one open profile: what the Electron app and the browser build's host both serve. */
export interface CairnServices {
  readonly profile: Profile
  readonly mail: MailService
  /** Mail accounts: settings, sync with push, the outbox (no accounts: idle). */
  readonly mailAccounts: MailAccounts
  /** Scheduled backups, run in a worker thread; idle until backups are set up. */
  readonly backups: BackupScheduler
  close(): Promise<void>
}

export function openServices(profileDir: string): CairnServices {
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
  const mail = new MailService(db, profile.paths)
  const backups = new BackupScheduler({
    profileDir: profile.paths.dir,
    profileId: profile.id,
    settings: () => readBackupSettings(profile),
    record: (run) => recordBackupRun(profile, run),
    run: runBackupInWorker,
  })
  backups.start()
  const mailAccounts = openMailAccounts({ db, paths: profile.paths, profileId: profile.id })
  mailAccounts.start()
  return {
    profile,
    mail,
    mailAccounts,
    backups,
    async close() {
      await backups.stop()
      await mailAccounts.close()
      await mail.close()
      db.close()
      profile.close()
    },
  }
}
