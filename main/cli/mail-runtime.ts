import { accountSecrets } from '../keychain/account-secrets.js'
import { osKeychain } from '../keychain/keychain.js'
import { AccountService } from '../mail/accounts/account-service.js'
import { openMailDb, type MailDb } from '../mail/db/connection.js'
import { workerParser } from '../mail/import/parser-pool.js'
import { OAuthTokenStore } from '../mail/oauth/token-store.js'
import { SendService } from '../mail/send/send-service.js'
import { SyncService } from '../mail/sync/sync-service.js'
import type { Profile } from '../profile/profile.js'

export interface MailRuntime {
  db: MailDb
  accounts: AccountService
  sync: SyncService
  send: SendService
  close(): Promise<void>
}

/**
 * The mail services over an open profile, as the app composes them: secrets
 * in the OS keychain under this profile's id, parsing in worker threads.
 */
export function openMailRuntime(profile: Profile): MailRuntime {
  const db = openMailDb(profile.paths.database)
  const secrets = accountSecrets(osKeychain(), profile.id)
  const accounts = new AccountService(db, secrets, new OAuthTokenStore(secrets))
  let parser: ReturnType<typeof workerParser> | null = null
  const sync = new SyncService({
    db,
    attachmentsDir: profile.paths.attachments,
    credentials: accounts.credentials,
    // The parse workers start only when a body is first parsed.
    parse: (raw) => (parser ??= workerParser()).parse(raw),
  })
  const send = new SendService(db, accounts.credentials)
  return {
    db,
    accounts,
    sync,
    send,
    async close() {
      await sync.close()
      await parser?.close()
      db.close()
    },
  }
}
