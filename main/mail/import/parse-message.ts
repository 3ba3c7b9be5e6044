import { createHash } from 'node:crypto'
import PostalMime, { type Address as MimeAddress, type Email, type Header } from 'postal-mime'
import { CairnError } from '../../shared/errors.js'
import type { Address } from '../types.js'
import { plausibleDate } from '../message-date.js'
import { htmlToText } from './html-to-text.js'
import { recoverText, repairMime } from './mime-repair.js'
import { transcodeUtf7 } from './utf7-parts.js'

export interface ParsedAttachment {
  filename: string
  mimeType: string
  contentId: string | null
  disposition: 'attachment' | 'inline'
  content: Uint8Array
}

export interface ParsedMessage {
  messageId: string
  inReplyTo: string
  references: string[]
  subject: string
  from: Address
  to: Address[]
  cc: Address[]
  /** Milliseconds since the epoch; null when the message has no usable Date header. */
  date: number | null
  text: string
  html: string | null
  snippet: string
  /** SHA-256 of the message with line endings normalised, for de-duplication. */
  contentHash: string
  size: number
  /** Read and flagged state recorded by the exporting client, when it recorded any. */
  flags: { seen: boolean | null; flagged: boolean }
  attachments: ParsedAttachment[]
  /**
   * What was wrong with the message's structure, when it was damaged (the
   * reader says so and offers the raw message); empty for a sound message.
   */
  problems: string[]
}

const HEADER_LINE = /^[\x21-\x39\x3b-\x7e]+:/

/**
 * Parse one RFC 5322 message. Broken MIME is parsed as far as it goes (a
 * missing closing boundary still yields the text before it); a message with
 * no header at all is refused as malformed.
 */
export async function parseMessage(
  raw: Uint8Array,
  options: {
    /** Synced mail is keyed by its server copy: the de-duplication hash is then left empty. */
    contentHash?: boolean
  } = {},
): Promise<ParsedMessage> {
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
  if (!HEADER_LINE.test(bytes.toString('latin1', 0, Math.min(bytes.length, 200)))) {
    throw new CairnError('MESSAGE_MALFORMED', 'it does not start with a mail header')
  }
  const repaired = repairMime(bytes)
  let email: Email
  try {
    email = await PostalMime.parse(transcodeUtf7(repaired.bytes), {
      attachmentEncoding: 'arraybuffer',
    })
  } catch (error) {
    throw new CairnError(
      'MESSAGE_MALFORMED',
      `its MIME structure cannot be read (${(error as Error).message})`,
      {
        cause: error,
      },
    )
  }
  const html = email.html ?? null
  let text = (email.text ?? (html ? htmlToText(html) : '')).replace(/\r\n/g, '\n')
  const problems = [...repaired.problems]
  if (!text.trim() && !html && email.attachments.length === 0) {
    // Nothing a parser could find: show whatever text the body holds, and say so.
    text = recoverText(bytes)
    if (text) problems.push('Cairn could not read its structure; this is the text it could find')
  }
  const date = email.date ? Date.parse(email.date) : NaN
  return {
    messageId: cleanId(email.messageId),
    inReplyTo: cleanId(email.inReplyTo),
    references: (email.references ?? '').match(/<[^<>\s]+>/g)?.map(cleanId) ?? [],
    subject: (email.subject ?? '').trim(),
    from: firstMailbox(email.from),
    to: mailboxes(email.to),
    cc: mailboxes(email.cc),
    date: plausibleDate(Number.isFinite(date) ? date : null, receivedDate(email.headers)),
    text,
    html,
    snippet: text.replace(/\s+/g, ' ').trim().slice(0, 200),
    contentHash: options.contentHash === false ? '' : hashNormalised(bytes),
    size: bytes.length,
    flags: exportedFlags(email.headers),
    attachments: email.attachments.map((a) => ({
      filename: a.filename ?? defaultName(a.mimeType),
      mimeType: a.mimeType || 'application/octet-stream',
      contentId: a.contentId ? cleanId(a.contentId) : null,
      disposition: a.disposition === 'inline' || a.related ? 'inline' : 'attachment',
      content: toBytes(a.content),
    })),
    problems,
  }
}

/**
 * When the message has no usable Date header: the time in its first
 * (newest, topmost) Received header, the moment it reached the mailbox.
 */
function receivedDate(headers: Header[]): number | null {
  const received = headers.find((h) => h.key === 'received')
  const stamp = received?.value.split(';').pop()?.trim()
  if (!stamp) return null
  const ms = Date.parse(stamp.replace(/\s*\([^)]*\)\s*$/, ''))
  return Number.isFinite(ms) ? ms : null
}

/**
 * Flags that mail clients write into exported messages: "Status: RO" and
 * "X-Status: F" (mbox convention), and Thunderbird's X-Mozilla-Status bit
 * field (0x1 read, 0x4 flagged).
 */
function exportedFlags(headers: Header[]): ParsedMessage['flags'] {
  let seen: boolean | null = null
  let flagged = false
  for (const { key, value } of headers) {
    if (key === 'status') seen = value.includes('R')
    else if (key === 'x-status') flagged ||= value.includes('F')
    else if (key === 'x-mozilla-status') {
      const bits = parseInt(value.trim(), 16)
      if (Number.isFinite(bits)) {
        seen = (bits & 0x1) !== 0
        flagged ||= (bits & 0x4) !== 0
      }
    }
  }
  return { seen, flagged }
}

function cleanId(id: string | undefined): string {
  if (!id) return ''
  const match = /<([^<>]+)>/.exec(id)
  return (match?.[1] ?? id).trim()
}

/** An address header as postal-mime parsed it: groups flattened, every entry a name and an address. */
export function mailboxes(list: MimeAddress[] | undefined): Address[] {
  const out: Address[] = []
  for (const entry of list ?? []) {
    if (entry.group) for (const member of entry.group) out.push(member)
    else out.push({ name: entry.name, address: entry.address ?? '' })
  }
  return out.map((a) => ({ name: a.name ?? '', address: (a.address ?? '').trim() }))
}

function firstMailbox(from: MimeAddress | undefined): Address {
  return mailboxes(from ? [from] : [])[0] ?? { name: '', address: '' }
}

function toBytes(content: ArrayBuffer | Uint8Array | string): Uint8Array {
  if (typeof content === 'string') return Buffer.from(content, 'utf8')
  return content instanceof Uint8Array ? content : new Uint8Array(content)
}

function defaultName(mimeType: string): string {
  const subtype = mimeType.split('/')[1]?.replace(/[^a-z0-9]/gi, '') ?? ''
  return subtype ? `attachment.${subtype}` : 'attachment'
}

/** Hash with CRLF turned into LF, so one message read from mbox or .eml hashes alike. */
function hashNormalised(bytes: Buffer): string {
  const hash = createHash('sha256')
  let start = 0
  for (;;) {
    const cr = bytes.indexOf('\r\n', start)
    if (cr === -1) break
    hash.update(bytes.subarray(start, cr))
    start = cr + 1
  }
  hash.update(bytes.subarray(start))
  return hash.digest('hex')
}
