/**
 * The chat view's decisions, as plain functions of plain data (no React,
 * no DOM), so that each is unit-tested: where day separators go, which tick
 * a message shows, unread counts, how contacts sort by presence, how a
 * connection state reads, and how hostile text is made safe to show.
 */
import type { ConnectionState, PresenceView } from '../../main/chat/types'
import { visibleLine, visibleText } from '../../common/visible-text'

export { visibleLine, visibleText }

// ---- conversations ----------------------------------------------------------------

/** What a conversation row needs of a message. */
export interface MessageLike {
  id: number
  ord: number
  direction: 'in' | 'out'
  sender: string
  sentAt: number
  seen: boolean
}

export type ConversationRow<M extends MessageLike> =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'unread'; key: string }
  | { kind: 'message'; key: string; message: M; firstOfRun: boolean }

/** A local calendar day, as a key: messages on one day share it. */
export function dayKey(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`
}

/**
 * The label of a day separator: "Today", "Yesterday", the weekday within
 * the last week, else the date (with the year when it is not this year).
 */
export function dayLabel(ms: number, now: Date = new Date(), locale?: string): string {
  const day = new Date(ms)
  const startOf = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime()
  // Whole days between the two calendar dates (DST-safe: rounded).
  const days = Math.round((startOf(now) - startOf(day)) / 86_400_000)
  if (days === 0) return 'Today'
  if (days === 1) return 'Yesterday'
  if (days > 1 && days < 7) return new Intl.DateTimeFormat(locale, { weekday: 'long' }).format(day)
  return new Intl.DateTimeFormat(locale, {
    weekday: 'short',
    day: 'numeric',
    month: 'long',
    ...(day.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' }),
  }).format(day)
}

/**
 * The rows of a conversation: its messages (in the store's order), a day
 * separator wherever the calendar day changes, and a "new messages" marker
 * before message `unreadFromId` (the first one unseen when the chat was
 * opened: the caller keeps it while the chat stays open, as reading it
 * marks it seen). `firstOfRun` is true when the
 * sender differs from the previous message's, or a separator came between
 * (the name is shown once per run of messages in a group chat).
 */
export function conversationRows<M extends MessageLike>(
  messages: readonly M[],
  options: { now?: Date; locale?: string; unreadFromId?: number | null } = {},
): ConversationRow<M>[] {
  const rows: ConversationRow<M>[] = []
  let lastDay: string | null = null
  let lastSender: string | null = null
  let unreadShown = false
  // A separator is keyed by its day alone (numbered if a day comes back out of order), so
  // older messages of the same day arriving above leave its key, and the view, alone.
  const daysSeen = new Map<string, number>()
  for (const message of messages) {
    const day = dayKey(message.sentAt)
    let broke = false
    if (day !== lastDay) {
      const seen = (daysSeen.get(day) ?? 0) + 1
      daysSeen.set(day, seen)
      rows.push({
        kind: 'day',
        key: seen === 1 ? `day:${day}` : `day:${day}#${seen}`,
        label: dayLabel(message.sentAt, options.now, options.locale),
      })
      lastDay = day
      broke = true
    }
    if (!unreadShown && options.unreadFromId != null && message.id === options.unreadFromId) {
      rows.push({ kind: 'unread', key: `unread:${message.id}` })
      unreadShown = true
      broke = true
    }
    const sender = `${message.direction}:${message.sender}`
    rows.push({
      kind: 'message',
      key: `m:${message.id}`,
      message,
      firstOfRun: broke || sender !== lastSender,
    })
    lastSender = sender
  }
  return rows
}

/** The first unseen incoming message (where "new messages" starts), or null. */
export function firstUnseen<M extends MessageLike>(messages: readonly M[]): M | null {
  return messages.find((m) => m.direction === 'in' && !m.seen) ?? null
}

/**
 * Messages merged with a newer page: one copy of each (the newer copy wins:
 * its state may have moved), in the store's order. When the page does not
 * reach back to what was shown (more arrived than one page holds), the
 * page alone is kept, so no gap is ever shown as if nothing were missing.
 */
export function mergeNewer<M extends MessageLike>(current: readonly M[], page: readonly M[]): M[] {
  if (page.length === 0) return [...current]
  if (current.length === 0) return [...page]
  const newestShown = current[current.length - 1] as M
  const oldestInPage = page[0] as M
  if (oldestInPage.ord > newestShown.ord && !page.some((m) => m.id === newestShown.id))
    return [...page]
  return mergeAll(current, page)
}

/** Older messages (scroll-back) put before the current ones. */
export function mergeOlder<M extends MessageLike>(current: readonly M[], page: readonly M[]): M[] {
  return mergeAll(page, current)
}

function mergeAll<M extends MessageLike>(a: readonly M[], b: readonly M[]): M[] {
  const byId = new Map<number, M>()
  for (const m of a) byId.set(m.id, m)
  for (const m of b) byId.set(m.id, m)
  return [...byId.values()].sort((x, y) => x.ord - y.ord)
}

/** How close to the bottom counts as at the bottom (px). */
export const BOTTOM_SLACK_PX = 48

/** Whether a scrolled view shows its end (within BOTTOM_SLACK_PX). */
export function atEnd(view: { top: number; scrollHeight: number; clientHeight: number }): boolean {
  return view.scrollHeight - view.top - view.clientHeight < BOTTOM_SLACK_PX
}

/**
 * Whether the conversation follows its end (new messages bring the view
 * down) after a scroll to `top`: yes once the view is at the bottom; no
 * once it moved up (the user scrolling back); otherwise as before. A follow
 * that lands short of the bottom (rows measured taller than estimated) is
 * a move down and does not end it.
 */
export function followsEnd(
  before: boolean,
  view: { top: number; lastTop: number; scrollHeight: number; clientHeight: number },
): boolean {
  if (atEnd(view)) return true
  if (view.top < view.lastTop - 1) return false
  return before
}

// ---- ticks ----------------------------------------------------------------------------

export type TickKind = 'queued' | 'sent' | 'delivered' | 'read' | 'failed'

export interface Tick {
  kind: TickKind
  /** What a screen reader says, and the tooltip. */
  label: string
}

/**
 * The delivery tick of a message: none for incoming ones; for ours, a
 * clock while queued, one tick once the server has it, two once the
 * contact's device has it (receipt), two coloured once read (marker), a
 * warning when it failed.
 */
export function tickOf(message: {
  direction: 'in' | 'out'
  state: string
  error?: string | null
}): Tick | null {
  if (message.direction !== 'out') return null
  switch (message.state) {
    case 'queued':
      return { kind: 'queued', label: 'Waiting to be sent' }
    case 'sent':
      return { kind: 'sent', label: 'Sent' }
    case 'delivered':
      return { kind: 'delivered', label: 'Delivered' }
    case 'read':
      return { kind: 'read', label: 'Read' }
    case 'failed':
      return { kind: 'failed', label: message.error ? `Not sent: ${message.error}` : 'Not sent' }
    default:
      return null
  }
}

// ---- unread ------------------------------------------------------------------------------

/** Unread messages in all chats and per account. */
export function unreadTotals(chats: readonly { accountId: number; unread: number }[]): {
  total: number
  byAccount: Map<number, number>
} {
  const byAccount = new Map<number, number>()
  let total = 0
  for (const chat of chats) {
    const n = Math.max(0, chat.unread)
    total += n
    byAccount.set(chat.accountId, (byAccount.get(chat.accountId) ?? 0) + n)
  }
  return { total, byAccount }
}

/** A badge's text: nothing for 0, the number up to 99, then "99+". */
export function badgeText(count: number): string {
  if (count <= 0) return ''
  return count > 99 ? '99+' : String(count)
}

// ---- contacts and presence -------------------------------------------------------------

export type Show = PresenceView['show']

/** Who comes first in a contact list: available, then away, busy, offline. */
const SHOW_RANK: Record<Show, number> = { chat: 0, online: 0, away: 1, xa: 2, dnd: 3, offline: 4 }

export function showLabel(show: Show): string {
  const labels: Record<Show, string> = {
    chat: 'Free to chat',
    online: 'Online',
    away: 'Away',
    xa: 'Away for a while',
    dnd: 'Busy',
    offline: 'Offline',
  }
  return labels[show]
}

/** The name a contact is shown under: the roster's name, else the address. */
export function contactName(contact: { name: string; jid: string }): string {
  return contact.name.trim() || contact.jid
}

/**
 * Contacts by presence (available first, offline last), then by name
 * (case- and accent-insensitive), then by address, so the order is stable
 * whatever order presences arrive in.
 */
export function sortContacts<C extends { jid: string; name: string; show: Show }>(
  contacts: readonly C[],
  locale?: string,
): C[] {
  const collator = new Intl.Collator(locale, { sensitivity: 'base', numeric: true })
  return [...contacts].sort(
    (a, b) =>
      SHOW_RANK[a.show] - SHOW_RANK[b.show] ||
      collator.compare(contactName(a), contactName(b)) ||
      (a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0),
  )
}

/** Contacts with the presences that changed applied (others kept as they were). */
export function applyPresence<
  C extends { accountId: number; jid: string; show: Show; status: string },
>(contacts: readonly C[], updates: readonly PresenceView[]): C[] {
  if (updates.length === 0) return [...contacts]
  const byJid = new Map(updates.map((p) => [`${p.accountId}:${p.jid}`, p]))
  return contacts.map((c) => {
    const p = byJid.get(`${c.accountId}:${c.jid}`)
    return p && (p.show !== c.show || p.status !== c.status)
      ? { ...c, show: p.show, status: p.status }
      : c
  })
}

// ---- connection state ----------------------------------------------------------------------

export interface ConnectionLabel {
  tone: 'ok' | 'busy' | 'warn' | 'error'
  /** A short state for the account list. */
  short: string
  /** The full explanation, with what to do. */
  detail: string
  /** What the user can do about it. */
  action: 'none' | 'password' | 'certificate' | 'reconnect'
}

/** How an account's connection reads: a short state, a full sentence, and the action it needs. */
export function connectionLabel(state: ConnectionState, now = Date.now()): ConnectionLabel {
  switch (state.status) {
    case 'online':
      return { tone: 'ok', short: 'Connected', detail: 'Connected.', action: 'none' }
    case 'connecting':
      return {
        tone: 'busy',
        short: 'Connecting…',
        detail:
          state.attempt > 1
            ? `Connecting (attempt ${state.attempt})…`
            : 'Connecting to the server…',
        action: 'none',
      }
    case 'offline':
      return { tone: 'warn', short: 'Offline', detail: 'Not connected.', action: 'reconnect' }
    case 'waiting': {
      const seconds = Math.max(0, Math.ceil((state.retryAt - now) / 1000))
      return {
        tone: 'warn',
        short: seconds > 0 ? `Retrying in ${formatWait(seconds)}` : 'Retrying…',
        detail: `${state.error.message} Cairn tries again ${seconds > 0 ? `in ${formatWait(seconds)}` : 'now'}.`,
        action: 'reconnect',
      }
    }
    case 'failed': {
      const code = state.error.code
      if (code === 'CHAT_AUTH_FAILED' || code === 'KEY_MISSING')
        return {
          tone: 'error',
          short: code === 'KEY_MISSING' ? 'Password needed' : 'Wrong password',
          detail: state.error.message,
          action: 'password',
        }
      if (code === 'CHAT_TLS_UNTRUSTED')
        return {
          tone: 'error',
          short: 'Untrusted certificate',
          detail: state.error.message,
          action: 'certificate',
        }
      return {
        tone: 'error',
        short: 'Cannot connect',
        detail: state.error.message,
        action: 'reconnect',
      }
    }
  }
}

function formatWait(seconds: number): string {
  return seconds < 60 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`
}

// ---- typing --------------------------------------------------------------------------------

/** "bob is typing…", "bob and carol are typing…", "4 people are typing…", or '' for nobody. */
export function typingLabel(names: readonly string[]): string {
  if (names.length === 0) return ''
  if (names.length === 1) return `${names[0]} is typing…`
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`
  return `${names.length} people are typing…`
}

// ---- text from others --------------------------------------------------------------------------

/** Initials for an avatar: the first letter or digit of the name's first two words. */
export function initials(name: string): string {
  const words = visibleLine(name).match(/[\p{L}\p{N}]+/gu) ?? []
  return (
    words
      .slice(0, 2)
      .map((w) => (Array.from(w)[0] ?? '').toUpperCase())
      .join('') || '?'
  )
}

/** Why a certificate failed, in words (Node's TLS error codes are not for users). */
export function certificateReason(code: string): string {
  const reasons: Record<string, string> = {
    DEPTH_ZERO_SELF_SIGNED_CERT: 'it is signed by itself',
    SELF_SIGNED_CERT_IN_CHAIN: 'its chain ends in an authority your system does not know',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its issuer is not an authority your system knows',
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its issuer is not an authority your system knows',
    UNABLE_TO_GET_ISSUER_CERT: 'its issuer is not an authority your system knows',
    CERT_HAS_EXPIRED: 'it has expired',
    CERT_NOT_YET_VALID: 'it is not valid yet',
    ERR_TLS_CERT_ALTNAME_INVALID: 'it was made for another server name',
    CERT_REVOKED: 'it has been revoked',
  }
  return reasons[code] ?? code
}

/** A certificate fingerprint grouped for reading aloud: AB:CD:… in rows of eight bytes. */
export function fingerprintLines(fingerprint: string): string[] {
  const bytes =
    fingerprint
      .toUpperCase()
      .replace(/[^0-9A-F]/g, '')
      .match(/.{2}/g) ?? []
  const lines: string[] = []
  for (let i = 0; i < bytes.length; i += 8) lines.push(bytes.slice(i, i + 8).join(':'))
  return lines
}
