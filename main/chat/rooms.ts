import type { MailDb } from '../mail/db/connection.js'
import { CairnError } from '../shared/errors.js'
import { mucJoin, presence } from './protocol/outgoing.js'
import { ensureChat, getChat, setRoom } from './store/chats.js'
import { parseJid, toBare } from './xmpp/jid.js'
import { NS } from './xmpp/namespaces.js'
import type { XmppSession } from './xmpp/session.js'
import { el, type XmlElement } from './xmpp/xml.js'

export interface RoomEvent {
  chatId: number
  room: string
  joined: boolean
  occupants: string[]
  error?: string
}

interface Room {
  chatId: number
  nick: string
  joined: boolean
  occupants: Set<string>
  join?: { resolve: () => void; reject: (error: Error) => void }
}

/** The most occupants tracked per room: a hostile room cannot grow this without bound. */
const MAX_OCCUPANTS = 10_000

/**
 * Group chats (XEP-0045) of one account: joining (with the history since
 * the last stored message), leaving, nicknames, who is in each room. The
 * rooms to rejoin are remembered in the chats table (`joined`, `nick`).
 */
export class Rooms {
  private readonly byJid = new Map<string, Room>()

  constructor(
    private readonly deps: {
      session: XmppSession
      db: MailDb
      accountId: number
      timeoutMs: number
      emit(event: RoomEvent): void
      /** We are in a room: messages queued for it can go. */
      entered(): void
    },
  ) {}

  has(bare: string): boolean {
    return this.byJid.has(bare)
  }

  nick(bare: string): string | undefined {
    return this.byJid.get(bare)?.nick
  }

  isJoined(bare: string): boolean {
    return this.byJid.get(bare)?.joined ?? false
  }

  occupants(roomJid: string): string[] {
    const room = toBare(roomJid)
    return room ? [...(this.byJid.get(room)?.occupants ?? [])].sort() : []
  }

  /** Our connection dropped: nobody is known to be anywhere until the rooms answer again. */
  clearOccupants(): void {
    for (const room of this.byJid.values()) {
      room.occupants.clear()
      room.joined = false
    }
  }

  join(roomJid: string, nick: string): Promise<number> {
    const room = toBare(roomJid)
    const cleanNick = nick.normalize('NFC').trim()
    if (
      !room ||
      cleanNick.length === 0 ||
      cleanNick.length > 100 ||
      !parseJid(`${room}/${cleanNick}`)
    )
      return Promise.reject(
        new CairnError('INVALID_ARGUMENT', `Cannot join "${roomJid}" as "${nick}".`),
      )
    const { db, accountId, session } = this.deps
    const chatId = ensureChat(db, accountId, room, 'group')
    setRoom(db, chatId, { nick: cleanNick, joined: true })
    const last = getChat(db, chatId)?.lastMessageAt
    const state: Room = { chatId, nick: cleanNick, joined: false, occupants: new Set() }
    this.byJid.set(room, state)
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        state.join = undefined
        reject(new CairnError('CHAT_TIMEOUT', `The room ${room} did not answer.`))
      }, this.deps.timeoutMs)
      state.join = {
        resolve: () => {
          clearTimeout(timer)
          resolve(chatId)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      }
      try {
        session.send(mucJoin(room, cleanNick, last ? { since: last - 1000 } : { maxstanzas: 50 }))
      } catch (error) {
        clearTimeout(timer)
        reject(error as Error)
      }
    })
  }

  async leave(roomJid: string): Promise<void> {
    const room = toBare(roomJid)
    const state = room ? this.byJid.get(room) : undefined
    if (!room || !state) return
    setRoom(this.deps.db, state.chatId, { nick: state.nick, joined: false })
    if (this.deps.session.online)
      this.deps.session.send(presence('unavailable', `${room}/${state.nick}`))
    this.byJid.delete(room)
    this.deps.emit({ chatId: state.chatId, room, joined: false, occupants: [] })
  }

  changeNick(roomJid: string, nick: string): void {
    const room = toBare(roomJid)
    if (!room || !this.byJid.has(room))
      throw new CairnError('INVALID_ARGUMENT', `Not in the room ${roomJid}.`)
    this.deps.session.send(presence(undefined, `${room}/${nick.trim()}`))
  }

  /** A presence from `bare`/`nick`: handled (true) when `bare` is one of our rooms. */
  onPresence(bare: string, nick: string, stanza: XmlElement, type: string): boolean {
    const room = this.byJid.get(bare)
    if (!room) return false
    const { db } = this.deps
    if (type === 'error') {
      const error = new CairnError(
        'CHAT_REJECTED',
        `The room ${bare} refused to let you in (${stanza.child('error')?.elements()[0]?.name ?? 'error'}).`,
      )
      room.join?.reject(error)
      room.join = undefined
      this.byJid.delete(bare)
      this.deps.emit({
        chatId: room.chatId,
        room: bare,
        joined: false,
        occupants: [],
        error: error.message,
      })
      return true
    }
    const x = stanza.child('x', NS.mucUser)
    const codes = new Set((x?.elements('status') ?? []).map((s) => s.attrs.code))
    const self = codes.has('110')
    if (type === 'unavailable') {
      room.occupants.delete(nick)
      const newNick = x?.child('item')?.attrs.nick
      if (self && codes.has('303') && newNick) {
        room.nick = newNick
        setRoom(db, room.chatId, { nick: newNick, joined: true })
      } else if (self) {
        room.joined = false
      }
    } else if (nick) {
      if (room.occupants.size < MAX_OCCUPANTS) room.occupants.add(nick)
      if (self) this.entered(room, bare, nick, codes.has('201'))
    }
    this.deps.emit({
      chatId: room.chatId,
      room: bare,
      joined: room.joined,
      occupants: [...room.occupants],
    })
    return true
  }

  private entered(room: Room, bare: string, nick: string, created: boolean): void {
    room.joined = true
    if (nick !== room.nick) {
      room.nick = nick // the room may change the nickname we asked for
      setRoom(this.deps.db, room.chatId, { nick, joined: true })
    }
    const done = () => {
      room.join?.resolve()
      room.join = undefined
      this.deps.entered()
    }
    if (!created) {
      done()
      return
    }
    // We created the room, and it stays locked to others until configured:
    // accept the defaults (an "instant room", XEP-0045 §10.1.2) before saying we are in.
    this.deps.session
      .iq(
        el(
          'iq',
          { type: 'set', to: bare },
          el('query', { xmlns: NS.mucOwner }, el('x', { xmlns: NS.dataForms, type: 'submit' })),
        ),
      )
      .then(done, done)
  }
}
