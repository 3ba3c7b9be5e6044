import { openMailDb, type MailDb } from '../mail/db/connection.js'
import { openMailAccounts, type MailAccounts } from '../mail/mail-accounts.js'
import type { Profile } from '../profile/profile.js'

export type MailRuntime = Omit<MailAccounts, 'start'> & { db: MailDb }

/** The mail account services over an open profile, as the app composes them (no background work). */
export function openMailRuntime(profile: Profile): MailRuntime {
  const db = openMailDb(profile.paths.database)
  const mail = openMailAccounts({ db, paths: profile.paths, profileId: profile.id })
  return {
    db,
    accounts: mail.accounts,
    sync: mail.sync,
    send: mail.send,
    async close() {
      await mail.close()
      db.close()
    },
  }
}
