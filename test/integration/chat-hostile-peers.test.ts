import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findChat } from '../../main/chat/store/chats'
import { chatHistory } from '../../main/chat/store/messages'
import { isInRoster } from '../../main/chat/store/roster'
import type { XmppSession } from '../../main/chat/xmpp/session'
import { el } from '../../main/chat/xmpp/xml'
import { chatProfile, count, PASSWORD, rawSession, until, type ChatProfile } from '../support/chat'
import { useRealKeychain } from '../support/keyring'
import { MUC_DOMAIN, startProsody, type ProsodyServer } from '../support/prosody'

let server: ProsodyServer
let keychain: { stop: () => void }
let alice: ChatProfile
let bob: XmppSession
let carol: XmppSession

beforeAll(async () => {
  keychain = await useRealKeychain()
  server = await startProsody()
  for (const user of ['alice', 'bob', 'carol']) server.register(user, PASSWORD)
  alice = await chatProfile(server, 'alice', { autoDownloadBytes: 0 })
  alice.client.start()
  await until(() => alice.client.connection.status === 'online', 'alice online')
  await alice.client.whenSynced()
  bob = await rawSession(server, 'bob')
  carol = await rawSession(server, 'carol')
})

afterAll(async () => {
  await carol?.close()
  await bob?.close()
  await alice?.close()
  await server?.stop()
  keychain?.stop()
})

/** The device address alice is logged in with (a stranger learns it from any presence or reply). */
const aliceFull = () =>
  (alice.client as unknown as { session: XmppSession }).session.jid || `${alice.jid}/unknown`

const stored = (body: string) =>
  count(alice.db, 'SELECT count(*) AS n FROM chat_messages WHERE body = ?', body)

describe('hostile peers', () => {
  it('ignores a "group chat" message from someone who is not a room, and later direct chats stay direct', async () => {
    // bob is no room: a groupchat-typed message from him must not invent one
    // (named after alice's own address), nor turn every later chat into a group chat.
    bob.send(
      el(
        'message',
        { to: aliceFull(), type: 'groupchat', id: 'fake-room' },
        el('body', {}, 'I am a room now'),
      ),
    )
    carol.send(
      el(
        'message',
        { to: alice.jid, type: 'chat', id: 'carol-1' },
        el('body', {}, 'hello from carol'),
        el('request', { xmlns: 'urn:xmpp:receipts' }),
      ),
    )
    await until(() => stored('hello from carol') === 1, 'carol’s message')
    expect(stored('I am a room now')).toBe(0)
    expect(findChat(alice.db, alice.accountId, alice.jid)).toBeNull()
    expect(findChat(alice.db, alice.accountId, 'carol@localhost')?.kind).toBe('direct')
    expect(findChat(alice.db, alice.accountId, 'bob@localhost')).toBeNull()
  })

  it('keeps a private message sent through a room out of the room’s conversation', async () => {
    const room = `hostile@${MUC_DOMAIN}`
    await alice.client.joinRoom(room, 'Alice')
    bob.send(
      el('presence', { to: `${room}/Bob` }, el('x', { xmlns: 'http://jabber.org/protocol/muc' })),
    )
    await until(() => alice.client.occupants(room).includes('Bob'), 'bob in the room')
    // An occupant's private message (type chat, to our nickname) would show in the room
    // as said by the room itself, with no nickname: a voice every occupant could borrow.
    bob.send(
      el(
        'message',
        { to: `${room}/Alice`, type: 'chat', id: 'pm-1' },
        el('body', {}, 'ROOM NOTICE: re-enter your password at https://evil.example'),
      ),
    )
    bob.send(
      el('message', { to: room, type: 'groupchat', id: 'pub-1' }, el('body', {}, 'said aloud')),
    )
    const lines = () => {
      const chat = findChat(alice.db, alice.accountId, room)
      return chat
        ? chatHistory(alice.db, chat.id, { limit: 100 }).map((m) => `${m.sender}: ${m.body}`)
        : []
    }
    await until(() => lines().includes('Bob: said aloud'), 'bob’s line in the room')
    expect(lines()).toEqual(['Bob: said aloud'])
  })

  it('refuses a roster push from another device of the same account, and still takes the server’s', async () => {
    // Another client logged in as alice (a hostile device, or anyone with her password) can
    // address alice's Cairn directly; the server stamps it from alice@localhost/evil. Only the
    // server's pushes (no from, or her bare JID) may change her roster (RFC 6121 §2.1.6):
    // a contact in it gets files fetched on arrival and receipts.
    const evil = await rawSession(server, 'alice', 'evil')
    const push = el(
      'iq',
      { type: 'set', to: aliceFull() },
      el(
        'query',
        { xmlns: 'jabber:iq:roster' },
        el('item', { jid: 'mallory@localhost', subscription: 'both', name: 'Bank' }),
      ),
    )
    await expect(evil.iq(push)).rejects.toMatchObject({ condition: 'bad-request' })
    expect(isInRoster(alice.db, alice.accountId, 'mallory@localhost')).toBe(false)
    await evil.close()

    await alice.client.addContact('dave@localhost')
    await until(
      () => isInRoster(alice.db, alice.accountId, 'dave@localhost'),
      'the server’s roster push',
    )
    expect(isInRoster(alice.db, alice.accountId, 'mallory@localhost')).toBe(false)
  })
})
