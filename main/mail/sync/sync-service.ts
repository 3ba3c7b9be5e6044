import type { CredentialSource } from '../accounts/credentials.js'
import type { MailDb } from '../db/connection.js'
import { Emitter } from '../../shared/emitter.js'
import { CairnError, describeError, isCairnError } from '../../shared/errors.js'
import { getSource } from '../store/message-sources.js'
import { getImapAccount, listImapAccounts } from '../store/imap-accounts.js'
import { remoteRefOf } from '../store/remote-messages.js'
import type { AccountState, SyncReport } from './account-state.js'
import { AccountSync } from './account-sync.js'
import type { PrepareBody } from './body-prepare.js'
import { deleteLocally, moveLocally, setFlagsLocally, type FlagChange } from './local-actions.js'

export interface SyncEvents {
  [name: string]: unknown
  accountState: AccountState
  changed: { folderIds: number[] }
  syncError: { accountId: number; code: string; message: string }
}

export interface SyncServiceOptions {
  db: MailDb
  credentials: CredentialSource
  /** Parse, hash and compress fetched bodies (bodyPreparer(): worker threads). */
  prepare: PrepareBody
  /** Silence on a sync connection longer than this fails its command (default 60 s). */
  socketTimeoutMs?: number
  /** Messages above this many bytes keep their headers only (default 256 MiB, as import). */
  maxMessageBytes?: number
  /** Full sync of every account this often while running (default 10 minutes), besides push. */
  intervalMs?: number
}

/**
 * IMAP sync for every account of a profile, in the main process: network
 * I/O is asynchronous, MIME parsing runs in worker threads, and writes
 * are short transactions, so nothing here holds the event loop for long.
 * Local actions apply at once and are replayed in the background; account
 * states and changes are published as events for whatever shows them.
 */
export class SyncService {
  readonly events = new Emitter<SyncEvents>()
  private readonly accounts = new Map<number, AccountSync>()
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly options: SyncServiceOptions) {}

  /** Start background sync: a first full sync per account, push on the Inbox, periodic full syncs. */
  start(): void {
    for (const account of listImapAccounts(this.options.db)) this.startAccount(account.id)
    this.timer = setInterval(
      () => {
        for (const id of this.accounts.keys()) this.background(id, this.account(id).syncOnce())
      },
      this.options.intervalMs ?? 10 * 60_000,
    )
    this.timer.unref()
  }

  /** Begin syncing an account added while running. */
  startAccount(accountId: number): void {
    const sync = this.account(accountId)
    // Push starts whether or not the first sync worked: its reconnect loop
    // (with backoff) is what brings an offline account back, then syncs it.
    this.background(
      accountId,
      sync
        .syncOnce()
        .catch((error: unknown) => this.reportError(accountId, error))
        .then(() => sync.watchInbox((error) => this.reportError(accountId, error))),
    )
  }

  /** The user looks at this folder: it gets push too (null: no folder in view). */
  viewFolder(folderId: number | null): void {
    const owner =
      folderId === null
        ? undefined
        : this.options.db
            .prepare<[number], { account_id: number }>(
              'SELECT account_id FROM remote_folders WHERE folder_id = ?',
            )
            .get(folderId)
    for (const [id, sync] of this.accounts)
      this.background(
        id,
        sync.watchFolder(owner?.account_id === id ? folderId : null, (e) =>
          this.reportError(id, e),
        ),
      )
  }

  /** Sync every folder of one account (or all) once, headers then bodies. */
  async syncOnce(accountId?: number): Promise<SyncReport[]> {
    const ids =
      accountId !== undefined
        ? [getImapAccount(this.options.db, accountId).id]
        : listImapAccounts(this.options.db).map((a) => a.id)
    const reports: SyncReport[] = []
    for (const id of ids) reports.push(await this.account(id).syncOnce())
    return reports
  }

  states(): AccountState[] {
    return listImapAccounts(this.options.db).map((a) => this.account(a.id).currentState())
  }

  setFlags(messageIds: number[], change: FlagChange): void {
    this.afterLocal(setFlagsLocally(this.options.db, messageIds, change), messageIds)
  }

  move(messageIds: number[], targetFolderId: number): void {
    this.afterLocal(moveLocally(this.options.db, messageIds, targetFolderId), messageIds)
  }

  delete(messageIds: number[]): void {
    this.afterLocal(deleteLocally(this.options.db, messageIds), messageIds)
  }

  /** Whether a message came from an account (its changes go to the server) rather than an import. */
  isRemote(messageId: number): boolean {
    return remoteRefOf(this.options.db, messageId) !== undefined
  }

  /** Make sure an opened message has its body (fetched now if the background pass has not got there). */
  async ensureBody(messageId: number): Promise<void> {
    const ref = remoteRefOf(this.options.db, messageId)
    if (!ref || ref.state === 'full') return
    await this.account(ref.accountId).fetchBody(messageId)
  }

  /** The message exactly as the server sent it ("view source"), when it is stored. */
  source(messageId: number): Buffer | null {
    const row = this.options.db
      .prepare<[number], { source_sha256: string | null }>(
        'SELECT source_sha256 FROM remote_messages WHERE message_id = ?',
      )
      .get(messageId)
    return row?.source_sha256 ? getSource(this.options.db, row.source_sha256) : null
  }

  /** The account's sync engine (for sending's copy to Sent and for tests). */
  account(accountId: number): AccountSync {
    let sync = this.accounts.get(accountId)
    if (!sync) {
      const account = getImapAccount(this.options.db, accountId)
      sync = new AccountSync({
        db: this.options.db,
        accountId,
        config: account.config,
        credentials: this.options.credentials,
        prepare: this.options.prepare,
        socketTimeoutMs: this.options.socketTimeoutMs,
        maxMessageBytes: this.options.maxMessageBytes,
        onChanged: (folderIds) => this.events.emit('changed', { folderIds }),
        onState: (state) => this.events.emit('accountState', state),
      })
      this.accounts.set(accountId, sync)
    }
    return sync
  }

  /** Forget an account's engine (after its settings changed or it was removed). */
  async reset(accountId: number): Promise<void> {
    const sync = this.accounts.get(accountId)
    this.accounts.delete(accountId)
    await sync?.close()
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await Promise.all([...this.accounts.values()].map((s) => s.close()))
    this.accounts.clear()
  }

  private afterLocal(accountIds: Set<number>, messageIds: number[]) {
    if (messageIds.length) this.events.emit('changed', { folderIds: [] })
    for (const id of accountIds) this.background(id, this.account(id).replayNow())
  }

  private background(accountId: number, work: Promise<unknown>) {
    work.catch((error: unknown) => this.reportError(accountId, error))
  }

  private reportError(accountId: number, error: unknown) {
    const e = isCairnError(error) ? error : new CairnError('INTERNAL', describeError(error))
    this.events.emit('syncError', { accountId, code: e.code, message: e.message })
  }
}
