import { accountSecrets } from '../keychain/account-secrets.js'
import { osKeychain, type SecretStore } from '../keychain/keychain.js'
import type { ProfilePaths } from '../profile/layout.js'
import { AccountService } from './accounts/account-service.js'
import type { MailDb } from './db/connection.js'
import { OAuthTokenStore } from './oauth/token-store.js'
import { SendService } from './send/send-service.js'
import { describeError } from '../shared/errors.js'
import { bodyPreparer } from './sync/body-prepare.js'
import { SyncService } from './sync/sync-service.js'

/** Mail accounts of one open profile: settings and secrets, sync, and the outbox. */
export interface MailAccounts {
  accounts: AccountService
  sync: SyncService
  send: SendService
  /** Background work: sync with push for every account, and outbox delivery. */
  start(): void
  close(): Promise<void>
}

/** How often due outbox entries are looked at while running. */
const OUTBOX_INTERVAL_MS = 30_000

/**
 * Compose the account services over a profile's database: secrets in the
 * OS keychain under the profile's id, MIME parsing in the parse workers
 * (started when first needed).
 */
export function openMailAccounts(options: {
  db: MailDb
  paths: ProfilePaths
  profileId: string
  keychain?: SecretStore
  /** Where the outbox timer tells what stopped a delivery (default: console.warn). */
  log?: (line: string) => void
}): MailAccounts {
  const secrets = accountSecrets(options.keychain ?? osKeychain(), options.profileId)
  const accounts = new AccountService(options.db, secrets, new OAuthTokenStore(secrets))
  const bodies = bodyPreparer({ attachmentsDir: options.paths.attachments })
  const sync = new SyncService({
    db: options.db,
    credentials: accounts.credentials,
    prepare: bodies.prepare,
  })
  const send = new SendService(options.db, accounts.credentials)
  let timer: NodeJS.Timeout | null = null
  let started = false
  // Changed settings (a pinned certificate, a new password) take effect on a
  // fresh engine; a new account starts syncing at once while running.
  const offChanged = accounts.events.on('accountsChanged', ({ accountIds }) => {
    for (const id of accountIds)
      void sync.reset(id).then(() => {
        if (started && accounts.list().some((a) => a.id === id)) sync.startAccount(id)
      })
  })
  return {
    accounts,
    sync,
    send,
    start() {
      started = true
      sync.start()
      const log = options.log ?? ((line: string) => console.warn(line))
      deliverOutbox(send, log)
      timer = setInterval(() => deliverOutbox(send, log), OUTBOX_INTERVAL_MS)
      timer.unref()
    },
    async close() {
      started = false
      offChanged()
      if (timer) clearInterval(timer)
      await send.idle()
      await sync.close()
      await bodies.close()
    },
  }
}

/**
 * One round of the outbox timer. A delivery that the database stops (a full
 * disk, a damaged table) is told, not thrown out of the timer: an uncaught
 * error there would end the app, and the entries keep their state for the
 * next round either way.
 */
function deliverOutbox(send: SendService, log: (line: string) => void): void {
  const told = (error: unknown) => log(`Outbox: delivery stopped: ${describeError(error)}`)
  try {
    send.flush().catch(told)
  } catch (error) {
    told(error)
  }
}
