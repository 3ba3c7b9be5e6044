import type { ImapFlow, ListResponse } from 'imapflow'
import { CairnError, describeError, isCairnError } from '../../shared/errors.js'
import { CertificateError } from '../accounts/certificates.js'
import type { CredentialSource } from '../accounts/credentials.js'
import type { ImapAccountConfig } from '../accounts/server-settings.js'
import type { MailDb } from '../db/connection.js'
import {
  clearLocalOnlyRoles,
  listRemoteFolders,
  removeFolder,
  upsertRemoteFolder,
} from '../store/remote-folders.js'
import { bodyCandidate, remoteRefOf } from '../store/remote-messages.js'
import type { AccountState, AccountStatus, SyncReport } from './account-state.js'
import { replayActions, type ReplayResult } from './action-replay.js'
import type { PrepareBody } from './body-prepare.js'
import { syncBodies, type BodySyncContext } from './body-sync.js'
import { followDelimiterChange } from './delimiter-change.js'
import { folderRoles, selectableFolders } from './folder-roles.js'
import { syncFolder } from './folder-sync.js'
import { connectImapAs, connectionError, networkOrProtocolError } from './imap-connect.js'
import { coalescedPushSync } from './push-coalescer.js'
import { UidRanges } from './uid-set.js'

export interface AccountSyncDeps {
  db: MailDb
  accountId: number
  config: ImapAccountConfig
  credentials: CredentialSource
  prepare: PrepareBody
  /** Silence on the sync connection longer than this fails the running command (default 60 s). */
  socketTimeoutMs?: number
  /** Messages above this many bytes keep their headers only (body-sync's default when unset). */
  maxMessageBytes?: number
  /** Folders whose messages changed (for the UI to refresh). */
  onChanged?: (folderIds: number[]) => void
  onState?: (state: AccountState) => void
}

const ROLE_ORDER = ['\\Inbox', '\\Sent', '\\Drafts', '\\Archive', '\\Trash', '\\Junk']
/** Reconnect waits double from 1 s up to 5 min while the server is unreachable. */
const MAX_BACKOFF_MS = 5 * 60_000
/** A push connection that lasted this long was no failure: the next drop waits 1 s again. */
const STABLE_PUSH_MS = 60_000

/**
 * One IMAP account: a connection for sync and local-action replay (one
 * command stream, operations serialised), and optionally a second one
 * idling on the Inbox for push. Failures become the account's state; what
 * is stored is never thrown away because a server misbehaved.
 */
export class AccountSync {
  private client: ImapFlow | null = null
  private running: Promise<unknown> = Promise.resolve()
  private readonly vanished = new UidRanges()
  private state: AccountState
  private readonly watchers = new Map<'inbox' | 'view', ImapFlow>()
  private stopped = false
  private retryTimer: NodeJS.Timeout | null = null
  private backoffMs = 1000

  constructor(private readonly deps: AccountSyncDeps) {
    this.state = {
      accountId: deps.accountId,
      status: 'idle',
      message: null,
      lastSyncAt: null,
      retryAt: null,
    }
  }

  currentState(): AccountState {
    return { ...this.state }
  }

  /** Sync every folder once: replay queued actions, folder list, headers (newest first), then bodies. */
  syncOnce(options: { bodies?: boolean } = {}): Promise<SyncReport> {
    return this.exclusive(async () => {
      const report: SyncReport = {
        accountId: this.deps.accountId,
        folders: 0,
        added: 0,
        removed: 0,
        flagsChanged: 0,
        bodies: 0,
        actionsReplayed: 0,
        actionsDropped: [],
        uidvalidityResets: 0,
        skippedFolders: [],
      }
      this.setState('syncing', null)
      try {
        const client = await this.connection()
        const replay = await replayActions(this.deps.db, client, this.deps.accountId)
        report.actionsReplayed = replay.replayed
        report.actionsDropped = replay.dropped
        const { folders, moved } = await this.syncFolderList(client)
        report.folders = folders.length
        if (moved > 0) {
          // Actions the replay above sent to the folders' old paths (refused) go to the new ones now.
          const again = await replayActions(this.deps.db, client, this.deps.accountId)
          report.actionsReplayed += again.replayed
          report.actionsDropped.push(...again.dropped)
        }
        const bodyContext = {
          ...this.bodyContext(client),
          onBatch: (id: number) => this.changed([id]),
        }
        for (const folder of folders) {
          // A folder synced before: its few new bodies come at once, while it
          // is still selected. A first sync stores every folder's headers
          // before any body (the lists fill first).
          const walked = folder.uidvalidity !== null && folder.headersBelow <= 1
          // A folder the server refuses (NO: gone meanwhile, no rights) is
          // skipped; the others still sync. A broken connection stops all.
          const r = await syncFolder(
            {
              db: this.deps.db,
              client,
              accountId: this.deps.accountId,
              vanished: this.vanished,
              onBatch: (id) => this.changed([id]),
            },
            folder,
          ).catch((error: unknown) => {
            if (!refusedByServer(error)) throw error
            report.skippedFolders.push({ path: folder.imapPath, reason: describeError(error) })
            return null
          })
          if (!r) continue
          report.added += r.added
          report.removed += r.removed
          report.flagsChanged += r.flagsChanged
          if (r.uidvalidityReset) report.uidvalidityResets++
          if (r.added || r.removed || r.flagsChanged) this.changed([folder.folderId])
          if (walked && r.added && options.bodies !== false && !r.uidvalidityReset)
            report.bodies += await syncBodies(bodyContext, folder.folderId, folder.imapPath)
        }
        const again = await this.replayHeldBack(client, replay, report.uidvalidityResets > 0)
        if (again) {
          report.actionsReplayed += again.replayed
          report.actionsDropped.push(...again.dropped)
        }
        if (options.bodies !== false) {
          for (const folder of folders)
            report.bodies += await syncBodies(bodyContext, folder.folderId, folder.imapPath)
        }
        this.state.lastSyncAt = Date.now()
        this.setState('idle', null)
        return report
      } catch (error) {
        throw this.fail(error)
      }
    })
  }

  /** Sync one folder's headers and flags (after a push, or for the folder in view). */
  syncFolderNow(folderId: number): Promise<void> {
    return this.exclusive(async () => {
      try {
        const client = await this.connection()
        const replay = await replayActions(this.deps.db, client, this.deps.accountId)
        const folder = listRemoteFolders(this.deps.db, this.deps.accountId).find(
          (f) => f.folderId === folderId,
        )
        if (!folder) return
        const r = await syncFolder(
          { db: this.deps.db, client, accountId: this.deps.accountId, vanished: this.vanished },
          folder,
        )
        await this.replayHeldBack(client, replay, r.uidvalidityReset)
        if (r.added || r.removed || r.flagsChanged) this.changed([folderId])
        if (r.added) await syncBodies(this.bodyContext(client), folderId, folder.imapPath)
        this.setState('idle', null)
      } catch (error) {
        throw this.fail(error)
      }
    })
  }

  /** What a body pass on `client` needs: the store, the parsers and the size limit. */
  private bodyContext(client: ImapFlow): BodySyncContext {
    return {
      db: this.deps.db,
      client,
      prepare: this.deps.prepare,
      maxMessageBytes: this.deps.maxMessageBytes,
    }
  }

  /**
   * Actions the first replay held back (their folder's UIDVALIDITY changed)
   * follow their messages once a folder sync has reset and re-matched them;
   * null when there was nothing to follow.
   */
  private async replayHeldBack(
    client: ImapFlow,
    first: ReplayResult,
    reset: boolean,
  ): Promise<ReplayResult | null> {
    if (first.deferred === 0 || !reset) return null
    return replayActions(this.deps.db, client, this.deps.accountId)
  }

  /** Replay queued local actions now (called right after the user acts). */
  replayNow(): Promise<void> {
    return this.exclusive(async () => {
      try {
        const client = await this.connection()
        await replayActions(this.deps.db, client, this.deps.accountId)
      } catch (error) {
        throw this.fail(error)
      }
    })
  }

  /** Fetch one message's body now (the user opened it before the background pass got there). */
  fetchBody(messageId: number): Promise<number> {
    return this.exclusive(async () => {
      const candidate = bodyCandidate(this.deps.db, messageId)
      const ref = remoteRefOf(this.deps.db, messageId)
      if (!candidate || !ref) return 0
      try {
        const client = await this.connection()
        return await syncBodies(this.bodyContext(client), ref.folderId, ref.imapPath, [candidate])
      } catch (error) {
        throw this.fail(error)
      }
    })
  }

  /**
   * Push: a second connection idles on the Inbox; any change there (new
   * mail, flags, expunges) syncs it at once, and an expunge (perhaps a move
   * by another client) syncs the other folders too. Reconnects with backoff.
   */
  watchInbox(onError?: (error: CairnError) => void): Promise<void> {
    this.stopped = false
    return this.watch(
      'inbox',
      () => this.folders().find((f) => f.specialUse === '\\Inbox')?.folderId ?? null,
      onError,
    )
  }

  /**
   * Push for the folder the user is looking at (besides the Inbox): a third
   * connection idles on it until another folder is shown (null: none).
   */
  async watchFolder(folderId: number | null, onError?: (error: CairnError) => void): Promise<void> {
    const current = this.watchers.get('view')
    this.watchers.delete('view')
    current?.close()
    const inbox = this.folders().find((f) => f.specialUse === '\\Inbox')
    if (folderId === null || folderId === inbox?.folderId || this.stopped) return
    if (!this.folders().some((f) => f.folderId === folderId)) return
    await this.watch('view', () => folderId, onError)
  }

  private folders() {
    return listRemoteFolders(this.deps.db, this.deps.accountId)
  }

  private async watch(
    slot: 'inbox' | 'view',
    pick: () => number | null,
    onError?: (error: CairnError) => void,
  ): Promise<void> {
    const report = (error: unknown) =>
      onError?.(isCairnError(error) ? error : new CairnError('INTERNAL', describeError(error)))
    const run = async () => {
      let folder = this.folders().find((f) => f.folderId === pick())
      // No folder list yet (the first sync failed): sync first, which also
      // fails while the server is away and so keeps this retry loop going.
      if (!folder && slot === 'inbox') {
        await this.syncOnce({ bodies: false })
        folder = this.folders().find((f) => f.folderId === pick())
      }
      if (!folder) return
      const watched = folder
      const schedule = coalescedPushSync((all) =>
        (all ? this.syncOnce({ bodies: true }) : this.syncFolderNow(watched.folderId)).then(
          () => undefined,
          report,
        ),
      )
      const account = this.deps.config
      const watcher = await connectImapAs(this.deps.accountId, this.deps.credentials, {
        server: account.imap,
        allowPlaintext: account.allowPlaintext,
        expungeHandler: () => schedule(true),
      })
      this.watchers.set(slot, watcher)
      watcher.on('exists', () => schedule(false))
      watcher.on('flags', () => schedule(false))
      let openedAt: number | null = null
      watcher.on('close', () => {
        const mine = this.watchers.get(slot) === watcher
        if (mine) this.watchers.delete(slot)
        // The waits start again from 1 s only after a connection that held:
        // a server that lets push log in, then drops it at once, would
        // otherwise be reconnected to (and fully synced) every second.
        if (openedAt !== null && Date.now() - openedAt >= STABLE_PUSH_MS) this.backoffMs = 1000
        if (mine && !this.stopped) this.retryWatch(run, report)
      })
      await watcher.mailboxOpen(watched.imapPath)
      openedAt = Date.now()
      const loop = async () => {
        while (!this.stopped && this.watchers.get(slot) === watcher && watcher.usable)
          await watcher.idle()
      }
      loop().catch(() => watcher.close())
    }
    await run().catch((error: unknown) => {
      report(this.fail(error))
      this.retryWatch(run, report)
    })
  }

  private retryWatch(run: () => Promise<void>, onError: (error: unknown) => void) {
    if (this.stopped || this.retryTimer || !this.retriable()) return
    const wait = this.backoffMs
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS)
    this.state.retryAt = Date.now() + wait
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      run()
        .then(() => this.syncOnce())
        .catch((error: unknown) => {
          onError(this.fail(error))
          this.retryWatch(run, onError)
        })
    }, wait)
  }

  /**
   * Whether push may reconnect by itself: not while the user must act (a
   * refused password, a certificate to decide on). A sync running when the
   * push connection drops is no reason to stop: that drop was never retried,
   * and push ended for good.
   */
  private retriable(): boolean {
    return (
      this.state.status === 'offline' ||
      this.state.status === 'error' ||
      this.state.status === 'idle' ||
      this.state.status === 'syncing'
    )
  }

  async close(): Promise<void> {
    this.stopped = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    for (const watcher of this.watchers.values()) watcher.close()
    this.watchers.clear()
    await this.running.catch(() => undefined)
    const client = this.client
    this.client = null
    if (client) await client.logout().catch(() => client.close())
  }

  private async connection(): Promise<ImapFlow> {
    if (this.client?.usable) return this.client
    this.client?.close()
    this.client = null
    const { config } = this.deps
    const client = await connectImapAs(this.deps.accountId, this.deps.credentials, {
      server: config.imap,
      allowPlaintext: config.allowPlaintext,
      socketTimeout: this.deps.socketTimeoutMs ?? 60_000,
      expungeHandler: (event) => {
        if (event.uid !== undefined) this.vanished.add(event.uid)
      },
    })
    client.on('close', () => {
      if (this.client === client) this.client = null
    })
    this.client = client
    return client
  }

  /**
   * Folder list with special-use roles; folders gone from the server go
   * locally too, except those only renamed by a change of the server's
   * hierarchy delimiter (`moved`: they keep their local folder). (LIST-STATUS is not used to skip folders: Dovecot's status
   * cache was seen lagging behind another session's APPEND and expunge.)
   */
  private async syncFolderList(client: ImapFlow) {
    const listed: ListResponse[] = await client.list()
    const usable = selectableFolders(listed)
    const roles = folderRoles(usable)
    const db = this.deps.db
    const moved = db.transaction(() => {
      const moved = followDelimiterChange(
        db,
        this.deps.accountId,
        usable.map((f) => ({ imapPath: f.path, delimiter: f.delimiter || null })),
      )
      const seen = new Set<string>()
      for (const f of usable) {
        seen.add(f.path)
        upsertRemoteFolder(db, this.deps.accountId, {
          imapPath: f.path,
          delimiter: f.delimiter || null,
          specialUse: roles.get(f.path) ?? null,
        })
      }
      // A folder with no server folder of its own (the parent of "Spam/2024"
      // that the server does not list as selectable) holds no role: only
      // the server's folders do, as roles were decided above.
      clearLocalOnlyRoles(db, this.deps.accountId)
      for (const f of listRemoteFolders(db, this.deps.accountId))
        if (!seen.has(f.imapPath)) removeFolder(db, f.folderId)
      return moved
    })()
    const rank = (role: string | null) => {
      const i = role ? ROLE_ORDER.indexOf(role) : -1
      return i === -1 ? ROLE_ORDER.length : i
    }
    const folders = listRemoteFolders(db, this.deps.accountId).sort(
      (a, b) => rank(a.specialUse) - rank(b.specialUse),
    )
    return { folders, moved }
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.running.then(work, work)
    this.running = next.catch(() => undefined)
    return next
  }

  private changed(folderIds: number[]) {
    this.deps.onChanged?.(folderIds)
  }

  /** Turn any failure into the account's state and a CairnError for the caller. */
  private fail(error: unknown): CairnError {
    const cause = (this.client && connectionError(this.client)) ?? error
    const e = isCairnError(error) ? error : classify(cause, this.deps.config)
    const status: AccountStatus =
      e.code === 'ACCOUNT_AUTH_FAILED'
        ? 'auth_failed'
        : e.code === 'ACCOUNT_CERT_CHANGED'
          ? 'cert_changed'
          : e.code === 'ACCOUNT_CERT_UNTRUSTED'
            ? 'cert_untrusted'
            : e.code === 'ACCOUNT_UNREACHABLE'
              ? 'offline'
              : 'error'
    const cert = e instanceof CertificateError ? e.certificate : undefined
    this.setState(
      status,
      e.message,
      cert
        ? {
            fingerprint256: cert.fingerprint256,
            subject: cert.subject,
            issuer: cert.issuer,
            validTo: cert.validTo,
          }
        : undefined,
    )
    if (this.client && !this.client.usable) this.client = null
    return e
  }

  private setState(
    status: AccountStatus,
    message: string | null,
    certificate?: AccountState['certificate'],
  ) {
    this.state = {
      ...this.state,
      status,
      message,
      certificate: certificate ?? null,
      retryAt: status === 'offline' || status === 'error' ? this.state.retryAt : null,
    }
    this.deps.onState?.(this.currentState())
  }
}

/** The server answered NO or BAD to a command (the connection itself is fine). */
function refusedByServer(error: unknown): boolean {
  const status = (error as { responseStatus?: string } | null)?.responseStatus
  return (
    status === 'NO' ||
    status === 'BAD' ||
    (error as { mailboxMissing?: boolean } | null)?.mailboxMissing === true
  )
}

function classify(error: unknown, config: ImapAccountConfig): CairnError {
  // Synchronous classification; certificate details need a probe, done in connectImap.
  const e = error as { authenticationFailed?: boolean }
  if (e?.authenticationFailed)
    return new CairnError(
      'ACCOUNT_AUTH_FAILED',
      `${config.imap.host} refused the sign-in. Check the password, then retry.`,
      { cause: error },
    )
  return networkOrProtocol(error, config)
}

function networkOrProtocol(error: unknown, config: ImapAccountConfig): CairnError {
  return networkOrProtocolError(error, `${config.imap.host}:${config.imap.port}`)
}
