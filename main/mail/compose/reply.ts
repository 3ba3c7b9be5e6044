/**
 * Who a reply goes to and what it says first: pure functions, so every rule
 * is pinned by a unit test.
 */
import type { Address } from '../types.js'

export type ComposeKind = 'new' | 'reply' | 'replyAll' | 'forward'

export interface RepliedMessage {
  from: Address
  /** Reply-To, when the message had one (a list, a no-reply sender's helpdesk). */
  replyTo: Address[]
  to: Address[]
  cc: Address[]
}

const key = (a: Address) => a.address.trim().toLowerCase()

function unique(list: Address[], skip: Set<string>): Address[] {
  const seen = new Set(skip)
  const out: Address[] = []
  for (const a of list) {
    const k = key(a)
    if (!k || seen.has(k)) continue
    seen.add(k)
    out.push({ name: a.name, address: a.address.trim() })
  }
  return out
}

/**
 * Recipients of a reply. Reply: Reply-To if there is one, else the sender;
 * a reply to one's own message (from Sent) goes to its recipients. Reply
 * all: that, plus everyone in To and Cc, never oneself, each once.
 */
export function replyRecipients(
  original: RepliedMessage,
  kind: 'reply' | 'replyAll',
  ownAddresses: string[],
): { to: Address[]; cc: Address[] } {
  const own = new Set(ownAddresses.map((a) => a.trim().toLowerCase()))
  const fromMe = own.has(key(original.from))
  const primary = fromMe
    ? original.to
    : original.replyTo.length > 0
      ? original.replyTo
      : [original.from]
  const to = unique(primary, fromMe ? new Set() : own)
  if (kind === 'reply') return { to: to.length ? to : unique(primary, new Set()), cc: [] }
  const taken = new Set([...own, ...to.map(key)])
  const others = fromMe ? original.cc : [...original.to, ...original.cc]
  return { to: to.length ? to : unique(primary, new Set()), cc: unique(others, taken) }
}

const REPLY_PREFIX = /^\s*((re|aw|sv|vs|antw|ref|r|rif|wg)\s*(\[\d+\])?\s*:\s*)+/i
const FORWARD_PREFIX = /^\s*((fwd?|wg|tr|rv|vs|i)\s*:\s*)+/i

export function replySubject(subject: string): string {
  return REPLY_PREFIX.test(subject) ? subject.trim() : `Re: ${subject.trim()}`.trimEnd()
}

export function forwardSubject(subject: string): string {
  return FORWARD_PREFIX.test(subject) ? subject.trim() : `Fwd: ${subject.trim()}`.trimEnd()
}

export function formatAddress(a: Address): string {
  if (a.name && a.address) return `${a.name} <${a.address}>`
  return a.name || a.address
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

/** Plain text as HTML paragraphs, line breaks kept. */
export function textToParagraphs(text: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .split(/\n{2,}/)
    .map((block) => `<p>${escapeHtml(block).replace(/\n/g, '<br>')}</p>`)
    .join('')
}
