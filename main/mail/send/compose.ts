import { randomBytes } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { basename } from 'node:path'
import MailComposer from 'nodemailer/lib/mail-composer'
import { CairnError, errnoCode } from '../../shared/errors.js'

/** A recipient: a bare address, or a name and an address. */
export type Recipient = string | { name: string; address: string }

/** An attachment given by its bytes (from the attachment store). */
export interface AttachmentContent {
  filename: string
  contentType?: string
  content: Buffer
}

export interface Draft {
  to: Recipient[]
  cc?: Recipient[]
  bcc?: Recipient[]
  subject: string
  text: string
  /** The HTML alternative; `data:` images in it become inline (cid:) parts. */
  html?: string
  /**
   * Files to attach, by path or by content (read now: the outbox holds the
   * whole message, whatever happens to the files).
   */
  attachments?: (string | AttachmentContent)[]
  /** Threading headers of a reply (Message-IDs without angle brackets). */
  inReplyTo?: string
  references?: string[]
  /** Keep this Message-ID (a draft's copies on the server share one); a new one otherwise. */
  messageId?: string
}

export interface ComposedMessage {
  raw: Buffer
  messageId: string
  envelope: { from: string; to: string[] }
}

/** Attachments up to this total are accepted (servers rarely take more than a few tens of MB). */
export const MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024

const ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+$/

/** Build the RFC 5322 message once; the outbox stores these exact bytes and sends them unchanged. */
export async function composeMessage(
  from: { name: string; address: string },
  draft: Draft,
  /** draft: a copy for the Drafts folder, where recipients may be missing or half typed. */
  options: { draft?: boolean } = {},
): Promise<ComposedMessage> {
  const recipients = [...draft.to, ...(draft.cc ?? []), ...(draft.bcc ?? [])].map((a) =>
    (typeof a === 'string' ? a : a.address).trim(),
  )
  if (recipients.length === 0 && !options.draft)
    throw new CairnError('INVALID_ARGUMENT', 'Name at least one recipient.')
  for (const address of recipients)
    if (!options.draft && !ADDRESS.test(address))
      throw new CairnError('INVALID_ARGUMENT', `"${address}" is not an email address.`)
  let total = 0
  const attachments = (draft.attachments ?? []).map((path) => {
    if (typeof path !== 'string') {
      total += path.content.byteLength
      if (total > MAX_ATTACHMENT_BYTES)
        throw new CairnError(
          'MESSAGE_TOO_LARGE',
          `The attachments add up to more than ${MAX_ATTACHMENT_BYTES / 1048576} MB.`,
        )
      return { filename: path.filename, content: path.content, contentType: path.contentType }
    }
    try {
      total += statSync(path).size
      if (total > MAX_ATTACHMENT_BYTES)
        throw new CairnError(
          'MESSAGE_TOO_LARGE',
          `The attachments add up to more than ${MAX_ATTACHMENT_BYTES / 1048576} MB.`,
        )
      return { filename: basename(path), content: readFileSync(path) }
    } catch (error) {
      if (error instanceof CairnError) throw error
      throw new CairnError(
        'INVALID_ARGUMENT',
        `Cannot attach ${path} (${errnoCode(error) ?? 'unreadable'}).`,
      )
    }
  })
  const domain = from.address.split('@')[1] ?? 'cairn.invalid'
  const messageId = draft.messageId
    ? `<${draft.messageId}>`
    : `<${Date.now().toString(36)}.${randomBytes(12).toString('hex')}@${domain}>`
  const composer = new MailComposer({
    from,
    to: draft.to,
    cc: draft.cc,
    bcc: draft.bcc,
    subject: draft.subject,
    text: draft.text,
    html: draft.html,
    // Images pasted into the editor travel as data: URLs; they become inline parts.
    attachDataUrls: draft.html !== undefined,
    attachments,
    messageId,
    inReplyTo: draft.inReplyTo ? `<${draft.inReplyTo}>` : undefined,
    references: draft.references?.length ? draft.references.map((r) => `<${r}>`) : undefined,
    date: new Date(),
    headers: { 'User-Agent': 'Cairn' },
  })
  const node = composer.compile()
  // Bcc recipients get the message but never see each other in it. A copy for
  // the Drafts folder is never sent as it is: it keeps Bcc (as Thunderbird's
  // does), or resuming the draft elsewhere would silently drop those recipients.
  node.keepBcc = options.draft === true
  const raw = await node.build()
  return { raw, messageId, envelope: { from: from.address, to: recipients } }
}
