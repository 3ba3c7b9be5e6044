import { recoverInterruptedRestore } from './backup/restore/recover.js'
import { openMailDb, type MailDb } from './mail/db/connection.js'
import { MailService } from './mail/mail-service.js'
import { openProfile, type Profile } from './profile/profile.js'

/** The services of one open profile: what the Electron app and the browser build's host both serve. */
export interface CairnServices {
  readonly profile: Profile
  readonly mail: MailService
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
  return {
    profile,
    mail,
    async close() {
      await mail.close()
      db.close()
      profile.close()
    },
  }
}
