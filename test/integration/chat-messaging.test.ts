import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chatHistory } from '../../main/chat/store/messages'
import { el, type XmlElement } from '../../main/chat/xmpp/xml'
import { findChat } from '../../main/chat/store/chats'
import { listContacts } from '../../main/chat/store/roster'
import {
  befriend,
  chatProfile,
  count,
  PASSWORD,
  rawSession,
  until,
  type ChatProfile,
} from '../support/chat'
import { useRealKeychain } from '../support/keyring'
import { startProsody, type ProsodyServer } from '../support/prosody'
import { tempDir } from '../support/temp'

let server: ProsodyServer
let keychain: { stop: () => void }
let alice: ChatProfile
let bob: ChatProfile

beforeAll(async () => {
  keychain = await useRealKeychain()
  server = await startProsody()
  for (const user of ['alice', 'bob', 'carol', 'dave']) server.register(user, PASSWORD)
  alice = await chatProfile(server, 'alice')
  bob = await chatProfile(server, 'bob')
  alice.client.start()
  bob.client.start()
  await until(
    () => alice.client.connection.status === 'online' && bob.client.connection.status === 'online',
    'both online',
  )
  await Promise.all([alice.client.whenSynced(), bob.client.whenSynced()])
})

afterAll(async () => {
  await alice?.close()
  await bob?.close()
  await server?.stop()
  keychain?.stop()
})

describe('one-to-one chat between two Cairn profiles (real Prosody)', () => {
  it('exchanges 1,000 messages both ways, each stored once and in order on both sides', async () => {
    const n = 1000
    for (let i = 0; i < n; i++) {
      alice.client.sendText(bob.jid, `a→b ${i}`)
      bob.client.sendText(alice.jid, `b→a ${i}`)
    }
    const inChat = (p: ChatProfile, peer: string) => {
      const chat = findChat(p.db, p.accountId, peer)
      return chat
        ? count(p.db, 'SELECT count(*) AS n FROM chat_messages WHERE chat_id = ?', chat.id)
        : 0
    }
    await until(
      () => inChat(alice, bob.jid) === 2 * n && inChat(bob, alice.jid) === 2 * n,
      '2,000 messages on each side',
      60_000,
    )
    await until(
      () => count(alice.db, `SELECT count(*) AS n FROM chat_messages WHERE state = 'queued'`) === 0,
      'every message acknowledged by the server',
    )
    for (const [me, peer, mine, theirs] of [
      [alice, bob, 'a→b', 'b→a'],
      [bob, alice, 'b→a', 'a→b'],
    ] as const) {
      const chat = findChat(me.db, me.accountId, peer.jid)
      expect(chat).not.toBeNull()
      const history = chatHistory(me.db, chat!.id, { limit: 10 * n })
      expect(history).toHaveLength(2 * n)
      const sent = history.filter((m) => m.direction === 'out').map((m) => m.body)
      const received = history.filter((m) => m.direction === 'in').map((m) => m.body)
      expect(sent).toEqual(Array.from({ length: n }, (_, i) => `${mine} ${i}`))
      expect(received).toEqual(Array.from({ length: n }, (_, i) => `${theirs} ${i}`))
      expect(new Set(history.map((m) => m.originId)).size).toBe(2 * n)
    }
    // Stays once after a later catch-up from the archive, which holds every one of them again.
    await alice.client.stop()
    alice.client.start()
    await until(() => alice.client.connection.status === 'online', 'alice back online')
    await alice.client.whenSynced()
    expect(inChat(alice, bob.jid)).toBe(2 * n)
  }, 180_000)

  it('finds chat messages by full-text search, with the mail search’s rules (last word a prefix, no operators)', async () => {
    bob.client.sendText(alice.jid, 'The quarterly Zeppelin review is on Thursday')
    await until(() => alice.chat.search('zeppelin', 5).length === 1, 'the message indexed')
    const [hit] = alice.chat.search('quarterly zepp', 5)
    expect(hit).toMatchObject({
      peer: bob.jid,
      sender: bob.jid,
      direction: 'in',
      accountId: alice.accountId,
    })
    expect(hit?.snippet).toContain('Zeppelin review')
    expect(alice.chat.search('zeppelin NOT review', 5)).toEqual([]) // "NOT" is a word here, not an operator
    expect(alice.chat.search('', 5)).toEqual([])
  })

  it('reports the other side typing (XEP-0085) without storing anything', async () => {
    const before = count(bob.db, 'SELECT count(*) AS n FROM chat_messages')
    const typing = new Promise<string>((resolve) => {
      const off = bob.client.events.on('typing', ({ state, peer }) => {
        if (peer === alice.jid) {
          off()
          resolve(state)
        }
      })
    })
    alice.client.setTyping(bob.jid, 'composing')
    expect(await typing).toBe('composing')
    expect(count(bob.db, 'SELECT count(*) AS n FROM chat_messages')).toBe(before)
  })

  it('handles subscription requests: accepted ones become contacts with presence, refused ones go away', async () => {
    await befriend(alice, bob)
    await until(
      () =>
        listContacts(alice.db, alice.accountId).some(
          (c) => c.jid === bob.jid && c.subscription === 'both',
        ),
      'mutual subscription',
    )
    await until(() => alice.client.presenceOf(bob.jid).show === 'online', 'bob’s presence')

    const carol = await rawSession(server, 'carol')
    carol.send(el('presence'))
    const requested = new Promise<string>((resolve) => {
      const off = alice.client.events.on('subscriptionRequest', ({ jid }) => {
        off()
        resolve(jid)
      })
    })
    carol.send(el('presence', { to: alice.jid, type: 'subscribe' }))
    expect(await requested).toBe('carol@localhost')
    expect(
      listContacts(alice.db, alice.accountId).find((c) => c.jid === 'carol@localhost')
        ?.incomingRequest,
    ).toBe(true)
    alice.client.refuseSubscription('carol@localhost')
    // The server took the refusal: carol's request is no longer pending in her roster.
    const carolRoster = async () => {
      const answer = await carol.iq(
        el('iq', { type: 'get' }, el('query', { xmlns: 'jabber:iq:roster' })),
      )
      return answer
        .child('query')
        ?.elements('item')
        .find((i) => i.attrs.jid === alice.jid)
    }
    for (let i = 0; i < 100 && (await carolRoster())?.attrs.ask === 'subscribe'; i++)
      await new Promise((r) => setTimeout(r, 50))
    expect((await carolRoster())?.attrs.ask).toBeUndefined()
    expect(
      listContacts(alice.db, alice.accountId).find((c) => c.jid === 'carol@localhost'),
    ).toBeUndefined()
    await carol.close()
  })

  it('shows a contact’s delivery receipts, then read markers, on the sender’s messages', async () => {
    const { messageId } = alice.client.sendText(bob.jid, 'did you get this?')
    await until(() => state(alice, messageId) === 'delivered', 'a delivery receipt')
    const chat = findChat(bob.db, bob.accountId, alice.jid)!
    expect(chat.unread).toBeGreaterThan(0)
    bob.client.markRead(chat.id)
    expect(findChat(bob.db, bob.accountId, alice.jid)!.unread).toBe(0)
    await until(() => state(alice, messageId) === 'read', 'a read marker')
  })

  it('sends no delivery receipt to a stranger: it would tell them the user is online', async () => {
    const carol = await rawSession(server, 'carol', 'receipts')
    try {
      const received: XmlElement[] = []
      carol.events.on('stanza', (s) => {
        if (s.name === 'message') received.push(s)
      })
      carol.send(el('presence')) // available: messages to her bare address reach this session
      carol.send(
        el(
          'message',
          { to: bob.jid, type: 'chat', id: 'are-you-there' },
          el('body', {}, 'are you there?'),
          el('request', { xmlns: 'urn:xmpp:receipts' }),
        ),
      )
      const fromCarol = () =>
        chatHistory(bob.db, findChat(bob.db, bob.accountId, 'carol@localhost')?.id ?? -1, {
          limit: 10,
        })
      await until(() => fromCarol().some((m) => m.body === 'are you there?'), 'bob stores it')
      // Whatever bob sent carol before this message reaches her before it.
      bob.client.sendText('carol@localhost', 'a later message')
      await until(
        () => received.some((m) => m.childText('body') === 'a later message'),
        'carol receives bob’s message',
      )
      expect(received.filter((m) => m.child('received', 'urn:xmpp:receipts'))).toEqual([])
    } finally {
      await carol.close()
    }
  })

  it('shows a message sent from another client of the same account (carbons, with slixmpp)', async () => {
    const script = join(tempDir(), 'send.py')
    writeFileSync(
      script,
      `import ssl, sys, asyncio, slixmpp
class C(slixmpp.ClientXMPP):
    def __init__(s):
        super().__init__('alice@localhost/phone', sys.argv[2])
        s.ssl_context = ssl.create_default_context(cafile=sys.argv[3])
        s.add_event_handler('session_start', s.go)
    async def go(s, e):
        s.send_presence()
        s.send_message(mto='bob@localhost', mbody='sent from my phone', mtype='chat')
        await asyncio.sleep(1)
        s.disconnect()
c = C(); c.connect(('127.0.0.1', int(sys.argv[1]))); c.process(forever=False)
`,
    )
    const result = spawnSync(
      '/usr/bin/python3',
      [script, String(server.port), PASSWORD, server.ca.caFile],
      {
        timeout: 30_000,
        encoding: 'utf8',
      },
    )
    expect(result.status, result.stderr).toBe(0)
    const find = (p: ChatProfile, direction: string) =>
      count(
        p.db,
        `SELECT count(*) AS n FROM chat_messages WHERE body = 'sent from my phone' AND direction = ?`,
        direction,
      )
    await until(() => find(alice, 'out') === 1, 'the carbon copy in alice’s profile')
    await until(() => find(bob, 'in') === 1, 'the message in bob’s profile')
  })

  it('refuses a forged carbon from someone else', async () => {
    const carol = await rawSession(server, 'carol', 'forger')
    carol.send(
      el(
        'message',
        { to: alice.jid, type: 'chat' },
        el(
          'sent',
          { xmlns: 'urn:xmpp:carbons:2' },
          el(
            'forwarded',
            { xmlns: 'urn:xmpp:forward:0' },
            el(
              'message',
              { from: `${alice.jid}/x`, to: 'bob@localhost', type: 'chat', id: 'forged-1' },
              el('body', {}, 'I never wrote this'),
            ),
          ),
        ),
      ),
    )
    carol.send(
      el(
        'message',
        { to: alice.jid, type: 'chat', id: 'after-forgery' },
        el('body', {}, 'plain hello from carol'),
      ),
    )
    await until(
      () =>
        count(
          alice.db,
          `SELECT count(*) AS n FROM chat_messages WHERE body = 'plain hello from carol'`,
        ) === 1,
      'carol’s real message',
    )
    expect(
      count(alice.db, `SELECT count(*) AS n FROM chat_messages WHERE body = 'I never wrote this'`),
    ).toBe(0)
    await carol.close()
  })
})

function state(p: ChatProfile, messageId: number): string {
  return (
    p.db.prepare('SELECT state FROM chat_messages WHERE id = ?').get(messageId) as { state: string }
  ).state
}
