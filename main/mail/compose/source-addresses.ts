import PostalMime from 'postal-mime'
import { mailboxes } from '../import/parse-message.js'
import type { Address } from '../types.js'

/** Headers past this are not looked at (a real header block is a few KB). */
const MAX_HEADER_BYTES = 256 * 1024

/**
 * The address headers the store keeps no column for, read from a message's
 * kept source: Reply-To (where a reply goes) and Bcc (found only in a copy
 * in Drafts, where it is the user's own list). Parsed by postal-mime, as the
 * reader parses From, so a name arrives decoded the same way: RFC 2047
 * encoded words, raw UTF-8 (RFC 6532), quoting, groups.
 */
export async function sourceAddresses(
  raw: Buffer,
): Promise<{ replyTo: Address[]; bcc: Address[] }> {
  const crlf = raw.indexOf('\r\n\r\n')
  const lf = raw.indexOf('\n\n')
  const end = [crlf, lf].filter((i) => i >= 0).reduce((a, b) => Math.min(a, b), raw.length)
  const head = Buffer.concat([
    raw.subarray(0, Math.min(end, MAX_HEADER_BYTES)),
    Buffer.from('\r\n\r\n'),
  ])
  try {
    const email = await PostalMime.parse(head)
    return { replyTo: usable(mailboxes(email.replyTo)), bcc: usable(mailboxes(email.bcc)) }
  } catch {
    // A header block postal-mime refuses (too many headers) names nobody usable.
    return { replyTo: [], bcc: [] }
  }
}

const usable = (list: Address[]) => list.filter((a) => a.address.includes('@'))
