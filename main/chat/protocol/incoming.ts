import { bareJid, parseJid, type Jid } from '../xmpp/jid.js'
import { NS } from '../xmpp/namespaces.js'
import type { XmlElement } from '../xmpp/xml.js'
import type { ChatStateValue } from '../types.js'

/** The largest body Cairn stores; longer ones are cut (and say so) rather than dropped. */
export const MAX_BODY_CHARS = 12 * 1024 * 1024

/** One message stanza, unwrapped (carbon, archive result) and checked. */
export interface IncomingMessage {
  via: 'live' | 'carbon' | 'archive'
  /** The archive query this result answers (archive results only). */
  queryId: string | null
  kind: 'direct' | 'group'
  /** The other side of the conversation: a contact's or a room's bare JID. */
  peer: string
  direction: 'in' | 'out'
  /** Author: a bare JID, or the nickname in a group chat. */
  sender: string
  /** The full JID it came from (for receipts to the right device). */
  fromFull: string
  originId: string | null
  archiveId: string | null
  body: string | null
  /** When it was sent, if the stanza says (XEP-0203 delay); else null: now. */
  sentAt: number | null
  chatState: ChatStateValue | null
  receiptRequested: boolean
  receiptFor: string | null
  markable: boolean
  displayedFor: string | null
  oobUrl: string | null
  /** A message of type error: it says our message `errorFor` failed. */
  errorFor: string | null
  errorText: string | null
  /** A group chat subject change or other message with no conversation content. */
  subject: string | null
}

export interface Perspective {
  /** Our bare JID. */
  own: string
  /** Is this bare JID a group chat room we are in (or joining)? */
  isRoom(bare: string): boolean
}

const CHAT_STATES: ChatStateValue[] = ['active', 'composing', 'paused', 'inactive', 'gone']

/**
 * Read a <message/>. Returns null for what Cairn ignores or refuses: a
 * carbon or an archive result that does not come from our own account
 * (anyone can send a stanza that looks like one: XEP-0280 §11, XEP-0313
 * §10), JIDs that do not parse, and messages with nothing to act on.
 */
export function parseMessage(stanza: XmlElement, me: Perspective): IncomingMessage | null {
  const outerFrom = stanza.attrs.from === undefined ? me.own : toBareSafe(stanza.attrs.from)
  if (outerFrom === null) return null

  const carbon = stanza.child('received', NS.carbons) ?? stanza.child('sent', NS.carbons)
  if (carbon) {
    if (outerFrom !== me.own) return null
    const inner = carbon.child('forwarded', NS.forward)?.child('message')
    if (!inner) return null
    return readInner(inner, me, { via: 'carbon', queryId: null, archiveId: null, stamp: null })
  }

  const result = stanza.child('result', NS.mam)
  if (result) {
    // A user's archive answers from the account itself; a room's from the room.
    if (outerFrom !== me.own && !me.isRoom(outerFrom)) return null
    const forwarded = result.child('forwarded', NS.forward)
    const inner = forwarded?.child('message')
    if (!inner) return null
    // A room's archive holds what was said in that room, nothing else (XEP-0313 §5.1.2):
    // any server can host a room, and its results must not speak for contacts, us, or other rooms.
    if (outerFrom !== me.own && toBareSafe(inner.attrs.from ?? '') !== outerFrom) return null
    const stamp = parseStamp(forwarded?.child('delay', NS.delay)?.attrs.stamp)
    return readInner(inner, me, {
      via: 'archive',
      queryId: result.attrs.queryid ?? null,
      archiveId: cleanId(result.attrs.id),
      stamp,
    })
  }
  return readInner(stanza, me, { via: 'live', queryId: null, archiveId: null, stamp: null })
}

function readInner(
  message: XmlElement,
  me: Perspective,
  context: {
    via: IncomingMessage['via']
    queryId: string | null
    archiveId: string | null
    stamp: number | null
  },
): IncomingMessage | null {
  const type = message.attrs.type ?? 'normal'
  const from = parseJid(message.attrs.from ?? me.own)
  const to = parseJid(message.attrs.to ?? me.own)
  if (!from || !to) return null
  const fromBare = bareJid(from)
  const toBare = bareJid(to)
  if (type === 'groupchat' && !fromRoomOrToOne(fromBare, toBare, me)) return null
  // A private message with an occupant (XEP-0045 §7.5): Cairn has no conversation for it,
  // and in the room's it would read as said by the room itself, by whoever sent it.
  if (type !== 'groupchat' && type !== 'error' && (isOccupant(from, me) || isOccupant(to, me)))
    return null
  const group =
    type === 'groupchat' || (me.isRoom(fromBare) && from.resource !== '') || me.isRoom(toBare)
  let peer: string
  let direction: 'in' | 'out'
  let sender: string
  if (group && type === 'groupchat') {
    peer = me.isRoom(fromBare) ? fromBare : toBare
    direction = 'in' // decided by nickname later (the service knows ours)
    sender = from.resource
  } else if (fromBare === me.own) {
    peer = toBare
    direction = 'out'
    sender = me.own
  } else {
    peer = fromBare
    direction = 'in'
    sender = fromBare
  }
  if (peer === me.own && direction === 'out' && context.via !== 'archive') return null // notes to self: no conversation
  const bodyText = message.childText('body')
  const body =
    bodyText === undefined
      ? null
      : bodyText.length > MAX_BODY_CHARS
        ? `${bodyText.slice(0, MAX_BODY_CHARS)}\n[message cut: it was over ${MAX_BODY_CHARS} characters]`
        : bodyText
  let archiveId = context.archiveId
  if (archiveId === null && context.via !== 'archive') {
    // A stanza-id is trustworthy only from the archive that owns it (XEP-0359 §4).
    const by = group ? peer : me.own
    const stanzaId = message
      .elements('stanza-id', NS.sid)
      .find((e) => e.attrs.by !== undefined && toBareSafe(e.attrs.by) === by)
    archiveId = cleanId(stanzaId?.attrs.id)
  }
  const originId =
    cleanId(message.child('origin-id', NS.sid)?.attrs.id) ?? cleanId(message.attrs.id)
  const stateElement = message.elements().find((e) => e.xmlns === NS.chatStates)
  const chatState =
    stateElement && (CHAT_STATES as string[]).includes(stateElement.name)
      ? (stateElement.name as ChatStateValue)
      : null
  const oob = message.child('x', NS.oob)?.childText('url')?.trim() ?? null
  const error = type === 'error' ? message.child('error') : undefined
  return {
    via: context.via,
    queryId: context.queryId,
    kind: group ? 'group' : 'direct',
    peer,
    direction,
    sender,
    fromFull: message.attrs.from ?? me.own,
    originId,
    archiveId,
    body: type === 'error' ? null : body,
    sentAt: context.stamp ?? parseStamp(message.child('delay', NS.delay)?.attrs.stamp),
    chatState,
    receiptRequested: message.child('request', NS.receipts) !== undefined,
    receiptFor: cleanId(message.child('received', NS.receipts)?.attrs.id),
    markable: message.child('markable', NS.markers) !== undefined,
    displayedFor: cleanId(message.child('displayed', NS.markers)?.attrs.id),
    oobUrl: oob && oob.length <= 4096 ? oob : null,
    errorFor: type === 'error' ? cleanId(message.attrs.id) : null,
    errorText: error
      ? (error.elements().find((e) => e.xmlns === NS.stanzas)?.name ?? 'error')
      : null,
    subject: message.childText('subject') ?? null,
  }
}

/**
 * A group chat message comes from a room we are in (or is ours, sent into
 * one from another device). Anyone can type a message "groupchat": from a
 * contact it would name a room after the address it was sent to (ours),
 * and every later message to that address would count as group chat.
 */
function fromRoomOrToOne(fromBare: string, toBare: string, me: Perspective): boolean {
  return me.isRoom(fromBare) || (fromBare === me.own && me.isRoom(toBare))
}

/** An occupant's address: a room we are in, with a nickname. */
function isOccupant(jid: Jid, me: Perspective): boolean {
  return jid.resource !== '' && me.isRoom(bareJid(jid))
}

function toBareSafe(jid: string): string | null {
  const parsed = parseJid(jid)
  return parsed ? bareJid(parsed) : null
}

/** Ids are opaque strings; anything absurdly long or empty is no id. */
function cleanId(id: string | undefined): string | null {
  if (id === undefined || id.length === 0 || id.length > 256) return null
  return id
}

export function parseStamp(stamp: string | undefined): number | null {
  if (!stamp || stamp.length > 40) return null
  const time = Date.parse(stamp)
  return Number.isFinite(time) ? time : null
}
