import { randomBytes } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { basename } from 'node:path'
import MailComposer from 'nodemailer/lib/mail-composer'
import { CairnError, errnoCode } from '../../shared/errors.js'

export interface Draft {
  to: string[]
  cc?: string[]
  bcc?: string[]
  subject: string
  text: string
  /** Files to attach (read now: the outbox holds the whole message, whatever happens to the files). */
  attachments?: string[]
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
): Promise<ComposedMessage> {
  const recipients = [...draft.to, ...(draft.cc ?? []), ...(draft.bcc ?? [])].map((a) => a.trim())
  if (draft.to.length === 0)
    throw new CairnError('INVALID_ARGUMENT', 'Name at least one recipient.')
  for (const address of recipients)
    if (!ADDRESS.test(address))
      throw new CairnError('INVALID_ARGUMENT', `"${address}" is not an email address.`)
  let total = 0
  const attachments = (draft.attachments ?? []).map((path) => {
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
  const messageId = `<${Date.now().toString(36)}.${randomBytes(12).toString('hex')}@${domain}>`
  const composer = new MailComposer({
    from,
    to: draft.to,
    cc: draft.cc,
    bcc: draft.bcc,
    subject: draft.subject,
    text: draft.text,
    attachments,
    messageId,
    date: new Date(),
    headers: { 'User-Agent': 'Cairn' },
  })
  const node = composer.compile()
  // Bcc recipients get the message but never see each other in it.
  node.keepBcc = false
  const raw = await node.build()
  return { raw, messageId, envelope: { from: from.address, to: recipients } }
}
