import { randomBytes } from 'node:crypto'
import type { ImapFlow } from 'imapflow'
import type { CredentialSource } from '../accounts/credentials.js'
import type { AccountService } from '../accounts/account-service.js'
import { readAttachment } from '../attachment-store.js'
import type { MailDb } from '../db/connection.js'
import type { MailService } from '../mail-service.js'
import type { SendService } from '../send/send-service.js'
import { composeMessage, MAX_ATTACHMENT_BYTES, type Draft } from '../send/compose.js'
import { getSource } from '../store/message-sources.js'
import { remoteFolderByRole } from '../store/remote-folders.js'
import type { Address, MessageDetail } from '../types.js'
import { Emitter } from '../../shared/emitter.js'
import { CairnError, describeError } from '../../shared/errors.js'
import { withImap } from '../actions/imap-session.js'
import type { FolderActions } from '../actions/folder-actions.js'
import { draftAddresses, draftAttachments, draftReferences } from './draft-json.js'
import { htmlToPlain } from './html-to-plain.js'
import { forwardHtml, quotedBody, replyHtml, signatureBlock } from './quote.js'
import { forwardSubject, replyRecipients, replySubject, type ComposeKind } from './reply.js'
import { sourceAddresses } from './source-addresses.js'
import type { StoredUpload, Uploads } from './uploads.js'

export interface DraftAttachment {
  /** Names this attachment within its draft (for removing it). */
  key: string
  sha256: string
  filename: string
  mimeType: string
  size: number
}

export interface DraftView {
  id: number
  accountId: number | null
  kind: ComposeKind
  sourceMessageId: number | null
  to: Address[]
  cc: Address[]
  bcc: Address[]
  subject: string
  /** As the editor last saved it; the renderer sanitises it (DOMPurify) before editing. */
  html: string
  attachments: DraftAttachment[]
  updatedAt: number
  /** When the copy in the account's Drafts folder was last made (null: not yet). */
  uploadedAt: number | null
  uploadError: string | null
}

export interface Identity {
  accountId: number
  name: string
  email: string
  signature: string | null
}

export interface DraftPatch {
  accountId?: number | null
  to?: Address[]
  cc?: Address[]
  bcc?: Address[]
  subject?: string
  html?: string
}

export interface ComposeEvents {
  [name: string]: unknown
  draftSaved: { draftId: number; uploadedAt: number | null; uploadError: string | null }
}

interface DraftRow {
  id: number
  account_id: number | null
  message_id_header: string
  kind: ComposeKind
  source_message_id: number | null
  to_json: string
  cc_json: string
  bcc_json: string
  subject: string
  html: string
  in_reply_to: string
  references_json: string
  attachments_json: string
  updated_at: number
  uploaded_at: number | null
  upload_error: string | null
}

/** Inline images of a quoted message become data: URLs up to this size each. */
const MAX_INLINE_QUOTED = 2 * 1024 * 1024

export interface ComposeServiceDeps {
  db: MailDb
  attachmentsDir: string
  mail: Pick<MailService, 'getMessage'>
  accounts: Pick<AccountService, 'list'> | null
  send: Pick<SendService, 'send' | 'deliverSoon'> | null
  credentials: CredentialSource | null
  folders: FolderActions
  uploads: Uploads
  /** How long after the last change a draft is copied to the server (default 4 s). */
  uploadDelayMs?: number
}

/**
 * Writing mail: new messages, replies, reply-all and forwards as drafts
 * that are saved as the user types (in the profile at once, and to the
 * account's Drafts folder a few seconds later, replacing the previous
 * copy), attachments, signatures per identity, and sending through the
 * outbox. The draft's HTML comes from the editor; the plain-text
 * alternative is made from it here (html-to-plain.ts).
 */
export class ComposeService {
  readonly events = new Emitter<ComposeEvents>()
  private readonly timers = new Map<number, NodeJS.Timeout>()
  private readonly uploading = new Map<number, Promise<void>>()
  private closed = false

  constructor(private readonly deps: ComposeServiceDeps) {}

  identities(): Identity[] {
    const signatures = new Map(
      this.deps.db
        .prepare<[], { account_id: number; html: string }>(
          'SELECT account_id, html FROM signatures',
        )
        .all()
        .map((r) => [r.account_id, r.html]),
    )
    return (this.deps.accounts?.list() ?? []).map((a) => ({
      accountId: a.id,
      name: a.name,
      email: a.email,
      signature: signatures.get(a.id) ?? null,
    }))
  }

  /**
   * The signature new messages and replies from this account start with.
   * It arrives from the renderer: cleaned like quoted mail (no script,
   * handler, form, frame or remote image) before it is kept; an empty one
   * (no text, no image) removes it.
   */
  setSignature(accountId: number, html: string): void {
    if (!this.identities().some((i) => i.accountId === accountId))
      throw new CairnError('ACCOUNT_NOT_FOUND', 'That account no longer exists.')
    html = quotedBody({ html, text: '' }, () => null).trim()
    if (htmlToPlain(html).trim() === '' && !/<img\b/i.test(html))
      this.deps.db.prepare('DELETE FROM signatures WHERE account_id = ?').run(accountId)
    else
      this.deps.db
        .prepare(
          'INSERT INTO signatures (account_id, html) VALUES (?, ?) ON CONFLICT (account_id) DO UPDATE SET html = excluded.html',
        )
        .run(accountId, html)
  }

  /** A new draft: empty, or a reply / reply-all / forward of `messageId`, quoted. */
  async start(input: {
    kind: ComposeKind
    messageId?: number | undefined
    accountId?: number | undefined
    to?: Address[] | undefined
  }): Promise<DraftView> {
    const identities = this.identities()
    const now = Date.now()
    let fields: Omit<DraftRow, 'id' | 'updated_at' | 'uploaded_at' | 'upload_error'>
    if (input.kind === 'new' || input.messageId === undefined) {
      const accountId = input.accountId ?? identities[0]?.accountId ?? null
      fields = {
        account_id: accountId,
        message_id_header: this.newMessageId(accountId),
        kind: 'new',
        source_message_id: null,
        to_json: JSON.stringify(input.to ?? []),
        cc_json: '[]',
        bcc_json: '[]',
        subject: '',
        html: `<p></p>${signatureBlock(this.signatureOf(accountId))}`,
        in_reply_to: '',
        references_json: '[]',
        attachments_json: '[]',
      }
    } else {
      const original = await this.deps.mail.getMessage(input.messageId)
      const accountId = input.accountId ?? this.accountFor(original, identities)
      const signature = this.signatureOf(accountId)
      const quoted = quotedBody(original, this.inlineImages(original))
      const base = {
        account_id: accountId,
        message_id_header: this.newMessageId(accountId),
        source_message_id: original.id,
        bcc_json: '[]',
        attachments_json: '[]',
      }
      if (input.kind === 'forward') {
        fields = {
          ...base,
          kind: 'forward',
          to_json: '[]',
          cc_json: '[]',
          subject: forwardSubject(original.subject),
          html: forwardHtml(original, quoted, signature),
          in_reply_to: '',
          references_json: '[]',
          attachments_json: JSON.stringify(this.carriedAttachments(original)),
        }
      } else {
        const recipients = replyRecipients(
          { ...original, replyTo: await this.replyToOf(original.id) },
          input.kind,
          identities.map((i) => i.email),
        )
        fields = {
          ...base,
          kind: input.kind,
          to_json: JSON.stringify(recipients.to),
          cc_json: JSON.stringify(recipients.cc),
          subject: replySubject(original.subject),
          html: replyHtml(original, quoted, signature),
          in_reply_to: original.messageId,
          references_json: JSON.stringify(
            [...this.referencesOf(original.id), original.messageId].filter(Boolean).slice(-50),
          ),
        }
      }
    }
    const id = Number(
      this.deps.db
        .prepare(
          `INSERT INTO drafts (account_id, message_id_header, kind, source_message_id, to_json, cc_json, bcc_json,
                               subject, html, in_reply_to, references_json, attachments_json, updated_at, created_at)
           VALUES (@account_id, @message_id_header, @kind, @source_message_id, @to_json, @cc_json, @bcc_json,
                   @subject, @html, @in_reply_to, @references_json, @attachments_json, @now, @now)`,
        )
        .run({ ...fields, now }).lastInsertRowid,
    )
    return this.get(id)
  }

  /**
   * The draft for a message in a Drafts folder: the one Cairn is keeping
   * under that Message-ID, or a new one made from the message (written by
   * another client), keeping its Message-ID so saving replaces that copy.
   */
  async editDraftMessage(messageId: number): Promise<DraftView> {
    const original = await this.deps.mail.getMessage(messageId)
    // The id comes from the renderer. Only a message in a Drafts folder may become a
    // draft: any other (a mail in INBOX) would be copied into Drafts under its
    // Message-ID, a second message claiming to be it, and could go out under the
    // user's name with its sender's words.
    const folder = this.deps.db
      .prepare<[number], { account_id: number; special_use: string | null }>(
        'SELECT f.account_id, f.special_use FROM messages m JOIN folders f ON f.id = m.folder_id WHERE m.id = ?',
      )
      .get(messageId)
    if (folder?.special_use !== '\\Drafts')
      throw new CairnError(
        'ACTION_NOT_ALLOWED',
        'Only a message in a Drafts folder can be edited as a draft; reply to it or forward it instead.',
      )
    const existing = this.deps.db
      .prepare<[string], { id: number }>('SELECT id FROM drafts WHERE message_id_header = ?')
      .get(original.messageId)
    if (existing) return this.get(existing.id)
    const accountId = this.identities().some((i) => i.accountId === folder.account_id)
      ? folder.account_id
      : (this.identities()[0]?.accountId ?? null)
    // The store keeps no Bcc column (a received message has none); a Drafts copy carries it.
    const source = this.sourceOf(messageId)
    const bcc = source ? (await sourceAddresses(source)).bcc : []
    const now = Date.now()
    const id = Number(
      this.deps.db
        .prepare(
          `INSERT INTO drafts (account_id, message_id_header, kind, to_json, cc_json, bcc_json, subject, html,
                               attachments_json, updated_at, uploaded_at, created_at)
           VALUES (?, ?, 'new', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          accountId,
          original.messageId || this.newMessageId(accountId),
          JSON.stringify(original.to),
          JSON.stringify(original.cc),
          JSON.stringify(bcc),
          original.subject,
          quotedBody(original, this.inlineImages(original)),
          JSON.stringify(this.carriedAttachments(original)),
          now,
          now,
          now,
        ).lastInsertRowid,
    )
    return this.get(id)
  }

  get(draftId: number): DraftView {
    return toView(this.row(draftId))
  }

  list(): DraftView[] {
    return this.deps.db
      .prepare<[], DraftRow>('SELECT * FROM drafts ORDER BY updated_at DESC')
      .all()
      .map(toView)
  }

  /** Save what the user typed (at once, locally), and copy it to the server a little later. */
  save(draftId: number, patch: DraftPatch): DraftView {
    const row = this.row(draftId)
    if (patch.accountId !== undefined && patch.accountId !== null)
      if (!this.identities().some((i) => i.accountId === patch.accountId))
        throw new CairnError('ACCOUNT_NOT_FOUND', 'That account no longer exists.')
    this.deps.db
      .prepare(
        `UPDATE drafts SET account_id = ?, to_json = ?, cc_json = ?, bcc_json = ?, subject = ?, html = ?,
                           updated_at = ? WHERE id = ?`,
      )
      .run(
        patch.accountId !== undefined ? patch.accountId : row.account_id,
        patch.to ? JSON.stringify(patch.to) : row.to_json,
        patch.cc ? JSON.stringify(patch.cc) : row.cc_json,
        patch.bcc ? JSON.stringify(patch.bcc) : row.bcc_json,
        patch.subject ?? row.subject,
        patch.html ?? row.html,
        Date.now(),
        draftId,
      )
    this.scheduleUpload(draftId)
    return this.get(draftId)
  }

  /** Attach a file the renderer uploaded (uploads.ts). */
  attach(draftId: number, upload: StoredUpload): DraftView {
    const row = this.row(draftId)
    const list = draftAttachments(row.attachments_json)
    const total = list.reduce((sum, a) => sum + a.size, 0) + upload.size
    if (total > MAX_ATTACHMENT_BYTES)
      throw new CairnError(
        'ATTACHMENT_TOO_LARGE',
        `With "${upload.filename}" the attachments would add up to ${Math.ceil(total / 1048576)} MB; a message can carry ${MAX_ATTACHMENT_BYTES / 1048576} MB at most.`,
      )
    list.push({ key: randomKey(), ...upload })
    this.setAttachments(draftId, list)
    return this.get(draftId)
  }

  removeAttachment(draftId: number, key: string): DraftView {
    const list = draftAttachments(this.row(draftId).attachments_json).filter((a) => a.key !== key)
    this.setAttachments(draftId, list)
    return this.get(draftId)
  }

  /** Put the message in the outbox (it is sent from there) and drop the draft and its server copies. */
  async send(draftId: number): Promise<{ outboxId: number }> {
    const row = this.row(draftId)
    if (row.account_id === null || !this.deps.send)
      throw new CairnError(
        'NO_SENDING_ACCOUNT',
        'Choose the account to send from (add a mail account first if there is none).',
      )
    const draft = this.mimeDraft(row, false)
    const { outboxId } = await this.deps.send.send(row.account_id, draft)
    // Sent now, not at the outbox timer's next tick (up to half a minute later).
    this.deps.send.deliverSoon()
    this.forget(draftId)
    void this.removeServerCopies(row).catch(() => undefined)
    return { outboxId }
  }

  /** Throw the draft away, here and in the Drafts folder. */
  async discard(draftId: number): Promise<void> {
    const row = this.row(draftId)
    this.forget(draftId)
    await this.removeServerCopies(row).catch(() => undefined)
  }

  /** Copy every draft changed since its last server copy (at start, after a failure). */
  async uploadPending(): Promise<void> {
    const due = this.deps.db
      .prepare<[], { id: number }>(
        `SELECT id FROM drafts WHERE account_id IS NOT NULL
           AND (uploaded_at IS NULL OR uploaded_at < updated_at)`,
      )
      .all()
    for (const { id } of due) await this.upload(id)
  }

  /** The copy in the Drafts folder now (tests; the timer does it otherwise). */
  async uploadNow(draftId: number): Promise<void> {
    const timer = this.timers.get(draftId)
    if (timer) clearTimeout(timer)
    this.timers.delete(draftId)
    await this.upload(draftId)
  }

  async close(): Promise<void> {
    this.closed = true
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
    await Promise.all([...this.uploading.values()].map((p) => p.catch(() => undefined)))
  }

  private scheduleUpload(draftId: number) {
    if (this.closed) return
    const existing = this.timers.get(draftId)
    if (existing) clearTimeout(existing)
    const timer = setTimeout(() => {
      this.timers.delete(draftId)
      void this.upload(draftId)
    }, this.deps.uploadDelayMs ?? 4000)
    timer.unref()
    this.timers.set(draftId, timer)
  }

  /** One upload per draft at a time; a change meanwhile schedules the next. */
  private upload(draftId: number): Promise<void> {
    const running = this.uploading.get(draftId)
    if (running) return running.then(() => this.upload(draftId))
    const work = this.copyToServer(draftId).finally(() => this.uploading.delete(draftId))
    this.uploading.set(draftId, work)
    return work
  }

  private async copyToServer(draftId: number): Promise<void> {
    const row = this.deps.db
      .prepare<[number], DraftRow>('SELECT * FROM drafts WHERE id = ?')
      .get(draftId)
    if (!row || row.account_id === null || !this.deps.credentials) return
    const accountId = row.account_id
    const startedAt = Date.now()
    try {
      const folderId = await this.deps.folders.roleFolder(accountId, '\\Drafts')
      const path = this.imapPathOf(folderId)
      const draft = this.mimeDraft(row, true)
      const from = this.identities().find((i) => i.accountId === accountId)
      const { raw } = await composeMessage(
        { name: from && from.name !== from.email ? from.name : '', address: from?.email ?? '' },
        draft,
        { draft: true },
      )
      await withImap(this.deps.db, this.deps.credentials, accountId, async (client) => {
        await client.append(path, raw, ['\\Draft', '\\Seen'])
        await deleteCopies(client, path, row.message_id_header, { keepNewest: true })
      })
      this.deps.db
        .prepare('UPDATE drafts SET uploaded_at = ?, upload_error = NULL WHERE id = ?')
        .run(startedAt, draftId)
      this.events.emit('draftSaved', { draftId, uploadedAt: startedAt, uploadError: null })
    } catch (error) {
      const message = `Saved on this computer; the copy in Drafts failed: ${describeError(error)}`
      this.deps.db.prepare('UPDATE drafts SET upload_error = ? WHERE id = ?').run(message, draftId)
      this.events.emit('draftSaved', { draftId, uploadedAt: row.uploaded_at, uploadError: message })
    }
  }

  private async removeServerCopies(row: DraftRow): Promise<void> {
    if (row.account_id === null || !this.deps.credentials || row.uploaded_at === null) return
    const folder = remoteFolderByRole(this.deps.db, row.account_id, '\\Drafts')
    if (!folder) return
    const path = folder.imapPath
    await withImap(this.deps.db, this.deps.credentials, row.account_id, (client) =>
      deleteCopies(client, path, row.message_id_header, { keepNewest: false }),
    )
  }

  private mimeDraft(row: DraftRow, forDraftsFolder: boolean): Draft {
    const attachments = draftAttachments(row.attachments_json).map((a) => ({
      filename: a.filename,
      contentType: a.mimeType,
      content: readAttachment(this.deps.attachmentsDir, a.sha256),
    }))
    return {
      to: draftAddresses(row.to_json),
      cc: draftAddresses(row.cc_json),
      bcc: draftAddresses(row.bcc_json),
      subject: row.subject,
      html: row.html,
      text: htmlToPlain(row.html),
      attachments,
      inReplyTo: row.in_reply_to || undefined,
      references: draftReferences(row.references_json),
      // The copies in Drafts share the draft's Message-ID; the message sent gets its own.
      messageId: forDraftsFolder ? row.message_id_header : undefined,
    }
  }

  private forget(draftId: number) {
    const timer = this.timers.get(draftId)
    if (timer) clearTimeout(timer)
    this.timers.delete(draftId)
    this.deps.db.prepare('DELETE FROM drafts WHERE id = ?').run(draftId)
  }

  private setAttachments(draftId: number, list: DraftAttachment[]) {
    this.deps.db
      .prepare('UPDATE drafts SET attachments_json = ?, updated_at = ? WHERE id = ?')
      .run(JSON.stringify(list), Date.now(), draftId)
    this.scheduleUpload(draftId)
  }

  private row(draftId: number): DraftRow {
    const row = this.deps.db
      .prepare<[number], DraftRow>('SELECT * FROM drafts WHERE id = ?')
      .get(draftId)
    if (!row) throw new CairnError('DRAFT_NOT_FOUND', 'That draft was sent or discarded.')
    return row
  }

  private imapPathOf(folderId: number): string {
    const row = this.deps.db
      .prepare<[number], { imap_path: string }>(
        'SELECT imap_path FROM remote_folders WHERE folder_id = ?',
      )
      .get(folderId)
    if (!row) throw new CairnError('FOLDER_INVALID', 'The Drafts folder is not on the server.')
    return row.imap_path
  }

  private signatureOf(accountId: number | null): string | null {
    if (accountId === null) return null
    return (
      this.deps.db
        .prepare<[number], { html: string }>('SELECT html FROM signatures WHERE account_id = ?')
        .get(accountId)?.html ?? null
    )
  }

  private newMessageId(accountId: number | null): string {
    const email = this.identities().find((i) => i.accountId === accountId)?.email ?? ''
    const domain = email.split('@')[1] || 'cairn.invalid'
    return `${Date.now().toString(36)}.${randomBytes(12).toString('hex')}@${domain}`
  }

  /** The account a reply is sent from: the one whose folder holds the message, else one it was sent to. */
  private accountFor(original: MessageDetail, identities: Identity[]): number | null {
    const owner = this.deps.db
      .prepare<[number], { account_id: number }>(
        'SELECT f.account_id FROM messages m JOIN folders f ON f.id = m.folder_id WHERE m.id = ?',
      )
      .get(original.id)
    if (owner && identities.some((i) => i.accountId === owner.account_id)) return owner.account_id
    const addressed = new Set([...original.to, ...original.cc].map((a) => a.address.toLowerCase()))
    return (
      identities.find((i) => addressed.has(i.email.toLowerCase()))?.accountId ??
      identities[0]?.accountId ??
      null
    )
  }

  private referencesOf(messageId: number): string[] {
    const row = this.deps.db
      .prepare<[number], { references_json: string }>(
        'SELECT references_json FROM messages WHERE id = ?',
      )
      .get(messageId)
    return draftReferences(row?.references_json ?? '[]')
  }

  /** Reply-To of a message, read from its kept source (the store keeps no column for it). */
  private async replyToOf(messageId: number): Promise<Address[]> {
    const raw = this.sourceOf(messageId)
    return raw ? (await sourceAddresses(raw)).replyTo : []
  }

  private sourceOf(messageId: number): Buffer | null {
    const row = this.deps.db
      .prepare<[number], { sha: string | null }>(
        `SELECT coalesce(m.source_sha256, r.source_sha256) AS sha FROM messages m
           LEFT JOIN remote_messages r ON r.message_id = m.id WHERE m.id = ?`,
      )
      .get(messageId)
    return row?.sha ? getSource(this.deps.db, row.sha) : null
  }

  /** The original's attached files (not inline parts) that a forward or an edited copy carries along. */
  private carriedAttachments(original: MessageDetail) {
    return original.attachments
      .filter((a) => a.disposition === 'attachment')
      .map((a) => ({
        key: randomKey(),
        sha256: this.attachmentSha(original.id, a.id),
        filename: a.filename,
        mimeType: a.mimeType,
        size: a.size,
      }))
      .filter((a) => a.sha256 !== null)
  }

  private attachmentSha(messageId: number, attachmentId: number): string | null {
    return (
      this.deps.db
        .prepare<[number, number], { sha256: string }>(
          'SELECT sha256 FROM attachments WHERE message_id = ? AND id = ?',
        )
        .get(messageId, attachmentId)?.sha256 ?? null
    )
  }

  private inlineImages(original: MessageDetail): (contentId: string) => string | null {
    const byContentId = new Map(
      original.attachments
        .filter(
          (a) => a.contentId && a.mimeType.startsWith('image/') && a.size <= MAX_INLINE_QUOTED,
        )
        .map((a) => [a.contentId as string, a]),
    )
    return (contentId) => {
      const part = byContentId.get(contentId)
      const sha = part ? this.attachmentSha(original.id, part.id) : null
      if (!part || !sha) return null
      try {
        const type = part.mimeType.toLowerCase().split(';')[0]?.trim() ?? ''
        if (!/^image\/(png|jpeg|gif|webp)$/.test(type)) return null
        return `data:${type};base64,${readAttachment(this.deps.attachmentsDir, sha).toString('base64')}`
      } catch {
        return null
      }
    }
  }
}

function toView(row: DraftRow): DraftView {
  return {
    id: row.id,
    accountId: row.account_id,
    kind: row.kind,
    sourceMessageId: row.source_message_id,
    to: draftAddresses(row.to_json),
    cc: draftAddresses(row.cc_json),
    bcc: draftAddresses(row.bcc_json),
    subject: row.subject,
    html: row.html,
    attachments: draftAttachments(row.attachments_json),
    updatedAt: row.updated_at,
    uploadedAt: row.uploaded_at,
    uploadError: row.upload_error,
  }
}

function randomKey(): string {
  return randomBytes(8).toString('hex')
}

/** Remove the copies of a draft (by Message-ID) from the Drafts folder, maybe keeping the newest. */
async function deleteCopies(
  client: ImapFlow,
  path: string,
  messageId: string,
  options: { keepNewest: boolean },
): Promise<void> {
  const lock = await client.getMailboxLock(path)
  try {
    const found = await client.search({ header: { 'message-id': messageId } }, { uid: true })
    // SEARCH HEADER matches a substring: <7@host> finds <17@host> too, another draft.
    // Only the copies whose Message-ID is exactly this one are the draft's.
    const uids: number[] = []
    if (Array.isArray(found) && found.length > 0)
      for await (const m of client.fetch(
        found.join(','),
        { uid: true, envelope: true },
        { uid: true },
      ))
        if (m.envelope?.messageId?.trim().replace(/^<|>$/g, '') === messageId) uids.push(m.uid)
    uids.sort((a, b) => a - b)
    const remove = options.keepNewest ? uids.slice(0, -1) : uids
    if (remove.length) await client.messageDelete(remove.join(','), { uid: true })
  } finally {
    lock.release()
  }
}
