import type { ImapFlow } from 'imapflow'
import type { CredentialSource } from '../accounts/credentials.js'
import type { MailDb } from '../db/connection.js'
import { Emitter } from '../../shared/emitter.js'
import { CairnError, describeError, isCairnError } from '../../shared/errors.js'
import { getSource, putSource } from '../store/message-sources.js'
import { getImapAccount } from '../store/imap-accounts.js'
import { remoteFolderByRole } from '../store/remote-folders.js'
import { folderRoles, selectableFolders, type ListedFolder } from '../sync/folder-roles.js'
import { connectImapAs, imapError } from '../sync/imap-connect.js'
import { composeMessage, type Draft } from './compose.js'
import {
  deleteWaiting,
  getOutboxEntry,
  insertOutbox,
  listOutbox,
  makeDue,
  markCopied,
  markFailed,
  markPartlySent,
  markRetry,
  markSending,
  markSent,
  outboxWork,
  removeFinished,
  requeueInterrupted,
  type OutboxEntry,
  type OutboxRow,
} from './outbox-store.js'
import { isPermanentSmtpFailure, withSmtpAs } from './smtp.js'

export interface SendEvents {
  [name: string]: unknown
  outboxChanged: { entries: OutboxEntry[] }
}

/** Waits between attempts: 30 s, 1, 2, 5, 10, 30 min, then hourly. */
const BACKOFF_MS = [30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000]

export function backoffAfter(attempts: number): number {
  return BACKOFF_MS[Math.min(Math.max(attempts - 1, 0), BACKOFF_MS.length - 1)] as number
}

/**
 * Sending mail through a durable outbox. `send` composes the message and
 * stores it (bytes and envelope) before any network is touched; delivery
 * happens in `flush`, which submits over SMTP, then files a copy in Sent
 * over IMAP (unless the server files one itself). A failure leaves the
 * message queued with its reason and a backoff; an app that quits mid-send
 * finds it 'sending' at the next start and sends it again (same bytes, same
 * Message-ID). A refusal that retrying cannot fix marks it failed, visibly.
 */
export class SendService {
  readonly events = new Emitter<SendEvents>()
  /**
   * The delivery running for each account. Accounts deliver side by side: a
   * slow or silent SMTP server holds back only its own account's messages
   * (one attempt at a time per account, in the order they were queued).
   */
  private readonly running = new Map<number, Promise<void>>()
  /** By outbox id: what became of messages the server took, not written yet (see `record`). */
  private readonly unwritten = new Map<number, { accountId: number; write: () => void }>()

  constructor(
    private readonly db: MailDb,
    private readonly credentials: CredentialSource,
  ) {
    requeueInterrupted(db)
  }

  outbox(): OutboxEntry[] {
    return listOutbox(this.db).map(({ envelopeFrom: _f, sourceSha256: _s, ...entry }) => entry)
  }

  /**
   * Queue a message (stored durably). Returns its outbox id; it goes out at
   * the next delivery (deliverSoon, the app's timer, or the CLI's flush).
   */
  async send(accountId: number, draft: Draft): Promise<{ outboxId: number; messageId: string }> {
    const account = getImapAccount(this.db, accountId)
    const composed = await composeMessage(
      { name: account.name === account.email ? '' : account.name, address: account.email },
      draft,
    )
    const outboxId = this.db.transaction(() => {
      const sha = putSource(this.db, composed.raw)
      return insertOutbox(this.db, {
        accountId,
        messageId: composed.messageId,
        subject: draft.subject,
        from: composed.envelope.from,
        to: composed.envelope.to,
        sourceSha256: sha,
        sentCopy: account.config.serverFilesSent ? 'not_needed' : 'pending',
      })
    })()
    this.changed()
    return { outboxId, messageId: composed.messageId }
  }

  /**
   * Deliver what is due (everything queued when `force`, as for an explicit
   * "send now"), each account on its own; an account whose delivery is
   * running already is left to it. Resolves when all have ended; errors
   * stay on their entries.
   */
  flush(options: { force?: boolean } = {}): Promise<void> {
    const force = options.force ?? false
    const runs = this.accountsWithWork(force).map(
      (accountId) => this.running.get(accountId) ?? this.start(accountId, force),
    )
    // Deliveries already running for other accounts: this flush ends after them too, as before.
    for (const run of this.running.values())
      if (!runs.includes(run)) runs.push(run.catch(() => undefined))
    return Promise.all(runs).then(() => undefined)
  }

  /** Resolves when no delivery is running (before closing the database). */
  async idle(): Promise<void> {
    while (this.running.size > 0)
      await Promise.all([...this.running.values()].map((run) => run.catch(() => undefined)))
  }

  /**
   * The user's "Send now": a queued or failed entry is due at once and its
   * account's delivery starts, after the one running for that account if
   * any (which listed its work before); other accounts' attempts, however
   * slow, do not hold it. Returns without waiting; outboxChanged tells how
   * it went.
   */
  sendNow(outboxId: number): void {
    if (!makeDue(this.db, outboxId)) throw this.notWaiting(outboxId)
    this.changed()
    this.deliverSoon()
  }

  /**
   * Start each account's delivery without waiting for the app's outbox
   * timer, after the one running for that account if any (which listed its
   * work before a message just queued or made due). Returns at once;
   * outboxChanged tells how it went.
   */
  deliverSoon(): void {
    for (const accountId of this.accountsWithWork(false)) {
      const running = this.running.get(accountId)
      if (!running) void this.start(accountId, false).catch(() => undefined)
      else
        void running
          .catch(() => undefined)
          .then(() => this.running.get(accountId) ?? this.start(accountId, false))
          .catch(() => undefined)
    }
  }

  /** The accounts that have something to deliver now (everything queued when `force`). */
  private accountsWithWork(force: boolean): number[] {
    return [
      ...new Set([
        ...outboxWork(this.db, Date.now(), force).map((e) => e.accountId),
        ...[...this.unwritten.values()].map((kept) => kept.accountId),
      ]),
    ]
  }

  private start(accountId: number, force: boolean): Promise<void> {
    const run: Promise<void> = this.deliver(accountId, force).finally(() => {
      if (this.running.get(accountId) === run) this.running.delete(accountId)
    })
    this.running.set(accountId, run)
    return run
  }

  /** The user gives up on a queued or failed entry: it leaves the outbox unsent. */
  remove(outboxId: number): void {
    // Its stored words go with it (the schema's triggers, migration 0015).
    if (!deleteWaiting(this.db, outboxId)) throw this.notWaiting(outboxId)
    this.changed()
  }

  /** Why an entry the user acted on is not queued or failed (checked after the write was refused). */
  private notWaiting(outboxId: number): CairnError {
    const entry = getOutboxEntry(this.db, outboxId)
    if (entry?.state === 'sending')
      return new CairnError(
        'OUTBOX_BUSY',
        'This message is being sent right now; wait for the attempt to finish.',
      )
    return new CairnError(
      'OUTBOX_NOT_FOUND',
      entry ? 'This message has already been sent.' : 'This message is no longer in the outbox.',
    )
  }

  /**
   * Write what became of a message the server took. The attempt did not
   * fail, so a database that refuses the write (disk full, a writer holding
   * the lock too long) must not make it go out again: the entry stays
   * 'sending', and the write waits here for the account's next delivery.
   * Only an app that quits before then sends it again (requeueInterrupted).
   */
  private record(entry: OutboxRow, write: () => void): boolean {
    try {
      this.db.transaction(write)()
      return true
    } catch {
      this.unwritten.set(entry.id, { accountId: entry.accountId, write })
      return false
    }
  }

  /** The writes `record` kept for this account, tried again (kept once more while refused). */
  private writeKept(accountId: number): void {
    for (const [id, kept] of this.unwritten) {
      if (kept.accountId !== accountId) continue
      try {
        this.db.transaction(kept.write)()
        this.unwritten.delete(id)
      } catch {
        // Still refused: the next delivery tries again.
      }
    }
  }

  private async deliver(accountId: number, force: boolean): Promise<void> {
    this.writeKept(accountId)
    const work = outboxWork(this.db, Date.now(), force).filter((e) => e.accountId === accountId)
    for (const entry of work) {
      if (entry.state === 'queued') {
        if (!markSending(this.db, entry)) continue
        this.changed()
        const raw = getSource(this.db, entry.sourceSha256)
        if (!raw) {
          markFailed(this.db, entry, 'The stored message is missing.')
          continue
        }
        // Not sent (to some or all): failed for good on a permanent refusal, else tried again later.
        const notSent = (reason: string, permanent: boolean) => {
          if (permanent) markFailed(this.db, entry, reason)
          else markRetry(this.db, entry, reason, Date.now() + backoffAfter(entry.attempts + 1))
        }
        let refused: Refusal[]
        try {
          refused = await this.submit(entry.accountId, raw, {
            from: entry.envelopeFrom,
            to: entry.to,
          })
        } catch (error) {
          const e = isCairnError(error)
            ? error
            : new CairnError('SEND_FAILED', describeError(error), { cause: error })
          notSent(e.message, isPermanentSmtpFailure(e.cause))
          this.changed()
          continue
        }
        if (refused.length > 0) {
          // Some recipients got it and some were refused (nodemailer fails the whole
          // send when none is accepted): the message is out, so its copy goes to Sent
          // now, and the entry stays for the refused ones only, with the server's
          // answer, so nobody is silently dropped and nobody gets it twice.
          const written = this.record(entry, () => {
            markPartlySent(
              this.db,
              entry,
              refused.map((r) => r.recipient),
            )
            notSent(
              `Not delivered to ${refused
                .map((r) => `${r.recipient} (${r.response})`)
                .join(', ')}; the other recipients have it.`,
              refused.every((r) => r.permanent),
            )
          })
          if (written && entry.sentCopy === 'pending') await this.fileCopy(entry)
          this.changed()
          continue
        }
        const written = this.record(entry, () => markSent(this.db, entry))
        this.changed()
        if (!written) continue
        // Filed already when it first reached only some of its recipients.
        if (entry.sentCopy !== 'pending') continue
      }
      await this.fileCopy(entry)
      this.changed()
    }
    removeFinished(this.db)
    this.changed()
  }

  /** File the sent bytes in Sent; a failure is kept on the entry and tried again at the next flush. */
  private async fileCopy(entry: OutboxRow): Promise<void> {
    const raw = getSource(this.db, entry.sourceSha256)
    if (!raw) return
    try {
      await this.fileInSent(entry.accountId, raw)
      markCopied(this.db, entry, null)
    } catch (error) {
      markCopied(
        this.db,
        entry,
        `Sent, but the copy in Sent is not filed yet: ${describeError(error)}`,
      )
    }
  }

  /** Submit over SMTP; returns the recipients the server refused while accepting the rest. */
  private async submit(
    accountId: number,
    raw: Buffer,
    envelope: { from: string; to: string[] },
  ): Promise<Refusal[]> {
    const config = getImapAccount(this.db, accountId).config
    const options = { server: config.smtp, allowPlaintext: config.allowPlaintext }
    return withSmtpAs(accountId, this.credentials, options, async (transport) => {
      const info = await transport.sendMail({ envelope, raw })
      const errors =
        (
          info as {
            rejectedErrors?: { recipient?: string; response?: string; responseCode?: number }[]
          }
        ).rejectedErrors ?? []
      return (info.rejected ?? []).map((r) => {
        const recipient = String(r)
        const error = errors.find((e) => e.recipient === recipient)
        return {
          recipient,
          response: error?.response ?? 'refused',
          permanent: isPermanentSmtpFailure(error ?? {}),
        }
      })
    })
  }

  /** APPEND the sent bytes to the account's Sent folder, marked read. */
  private async fileInSent(accountId: number, raw: Buffer) {
    const config = getImapAccount(this.db, accountId).config
    const sent = remoteFolderByRole(this.db, accountId, '\\Sent')
    let client: ImapFlow | null = null
    try {
      client = await connectImapAs(accountId, this.credentials, {
        server: config.imap,
        allowPlaintext: config.allowPlaintext,
      })
      // Not synced yet: the folder the first sync will give the role.
      const path = sent?.imapPath ?? sentPath(selectableFolders(await client.list()))
      if (!path) throw new CairnError('SEND_FAILED', 'The account has no Sent folder.')
      await client.append(path, raw, ['\\Seen'])
    } catch (error) {
      throw await imapError(error, config.imap)
    } finally {
      await client?.logout().catch(() => client?.close())
    }
  }

  private changed() {
    this.events.emit('outboxChanged', { entries: this.outbox() })
  }
}

/** A recipient the server refused while it accepted others. */
interface Refusal {
  recipient: string
  response: string
  permanent: boolean
}

function sentPath(listed: ListedFolder[]): string | undefined {
  for (const [path, role] of folderRoles(listed)) if (role === '\\Sent') return path
  return undefined
}
