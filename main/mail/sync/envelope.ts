import type { FetchMessageObject, FetchQueryObject, MessageAddressObject } from 'imapflow'
import { plausibleDate } from '../message-date.js'
import type { RemoteHeader } from '../store/remote-messages.js'
import type { Address } from '../types.js'

/** The header fields fetched in the first pass: the envelope plus References (for threads). */
export const HEADER_QUERY: FetchQueryObject = {
  uid: true,
  flags: true,
  envelope: true,
  internalDate: true,
  size: true,
  headers: ['references'],
}

const MAX_TEXT = 2000

/** RFC 7162: a mod-sequence is a positive 63-bit integer, which is also all SQLite's INTEGER holds. */
const MAX_MODSEQ = 2n ** 63n - 1n

/**
 * A server's MODSEQ, or null when it is none a server may send: a larger one
 * failed the store (STRICT INTEGER columns), and so every sync, for good.
 */
export function validModseq(value: bigint | undefined): bigint | null {
  return typeof value === 'bigint' && value > 0n && value <= MAX_MODSEQ ? value : null
}

/**
 * A server's envelope made safe to store: every field is optional and
 * hostile until checked (strings capped, dates that do not parse or lie
 * in the future replaced by the server's arrival date, addresses without an
 * address dropped).
 */
export function toRemoteHeader(message: FetchMessageObject): RemoteHeader {
  const env = message.envelope ?? {}
  const date = plausibleDate(parseDate(env.date), parseDate(message.internalDate)) ?? Date.now()
  const refs = message.headers?.toString('latin1') ?? ''
  return {
    uid: message.uid,
    modseq: validModseq(message.modseq) ?? 0n,
    flags: [...(message.flags ?? [])],
    messageId: cleanId(env.messageId),
    inReplyTo: cleanId(env.inReplyTo),
    references: (refs.match(/<[^<>\s]{1,500}>/g) ?? []).slice(0, 100).map(cleanId),
    subject: (env.subject ?? '').slice(0, MAX_TEXT).trim(),
    from: addresses(env.from)[0] ?? { name: '', address: '' },
    to: addresses(env.to),
    cc: addresses(env.cc),
    date,
    size: message.size ?? 0,
  }
}

function parseDate(value: Date | string | undefined): number | null {
  if (value === undefined) return null
  const ms = value instanceof Date ? value.getTime() : Date.parse(value)
  return Number.isFinite(ms) ? ms : null
}

function cleanId(id: string | undefined): string {
  if (!id) return ''
  const match = /<([^<>]+)>/.exec(id)
  return (match?.[1] ?? id).trim().slice(0, 500)
}

function addresses(list: MessageAddressObject[] | undefined): Address[] {
  return (list ?? []).slice(0, 500).map((a) => ({
    name: (a.name ?? '').slice(0, 500),
    address: (a.address ?? '').slice(0, 320),
  }))
}
