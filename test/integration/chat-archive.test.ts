import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findChat } from '../../main/chat/store/chats'
import { chatHistory } from '../../main/chat/store/messages'
import { el } from '../../main/chat/xmpp/xml'
import { chatProfile, count, PASSWORD, rawSession, until } from '../support/chat'
import { useRealKeychain } from '../support/keyring'
import { startProsody, type ProsodyServer } from '../support/prosody'

const N = 10_000
let server: ProsodyServer
let keychain: { stop: () => void }

beforeAll(async () => {
  keychain = await useRealKeychain()
  server = await startProsody()
  server.register('alice', PASSWORD)
  server.register('bob', PASSWORD)
  server.register('carol', PASSWORD)
  server.register('dave', PASSWORD)
  const start = Math.floor(Date.now() / 1000) - N
  // Several per second, as a busy conversation has: order must come from the archive, not the clock.
  server.seedArchive(
    'alice',
    Array.from({ length: N }, (_, i) => ({
      with: 'bob@localhost',
      from: i % 3 === 0 ? 'alice@localhost/laptop' : 'bob@localhost/phone',
      to: i % 3 === 0 ? 'bob@localhost' : 'alice@localhost',
      id: `history-${i}`,
      body: `history message ${i}`,
      when: start + Math.floor(i / 4),
    })),
  )
})

afterAll(async () => {
  await server?.stop()
  keychain?.stop()
})

const expected = Array.from({ length: N }, (_, i) => `history message ${i}`)

describe('history from the server archive (MAM, XEP-0313)', () => {
  it('fetches 10,000 archived messages on connect, none missing or doubled, in order; a second sync adds nothing', async () => {
    const alice = await chatProfile(server, 'alice')
    try {
      const first = await alice.chat.syncOnce(alice.accountId)
      expect(first.archived).toBe(N)
      const chat = findChat(alice.db, alice.accountId, 'bob@localhost')!
      const history = chatHistory(alice.db, chat.id, { limit: 2 * N })
      expect(history.map((m) => m.body)).toEqual(expected)
      expect(history.filter((m) => m.direction === 'out')).toHaveLength(Math.ceil(N / 3))
      expect(new Set(history.map((m) => m.archiveId)).size).toBe(N)
      expect(chat.unread).toBe(0) // a new account's history counts as read

      const again = await alice.chat.syncOnce(alice.accountId)
      expect(again.stored).toBe(0)
      expect(count(alice.db, 'SELECT count(*) AS n FROM chat_messages')).toBe(N)
    } finally {
      await alice.close()
    }
  }, 300_000)

  it('fetches only the newest messages first, then the rest on scroll-back, ending at the archive’s start', async () => {
    const alice = await chatProfile(server, 'alice', { initialArchive: 300 })
    try {
      await alice.chat.syncOnce(alice.accountId)
      const chat = findChat(alice.db, alice.accountId, 'bob@localhost')!
      expect(chatHistory(alice.db, chat.id, { limit: N }).map((m) => m.body)).toEqual(
        expected.slice(N - 300),
      )
      await alice.client.connectOnce()
      await alice.client.whenSynced()
      let rounds = 0
      for (;;) {
        const { complete } = await alice.client.loadOlder(chat.id, 250)
        rounds++
        if (complete) break
        expect(rounds).toBeLessThan(100)
      }
      await alice.client.stop()
      const history = chatHistory(alice.db, chat.id, { limit: 2 * N })
      expect(history.map((m) => m.body)).toEqual(expected)
      expect(await alice.client.loadOlder(chat.id, 250)).toEqual({ added: 0, complete: true })
    } finally {
      await alice.close()
    }
  }, 300_000)

  it('continues by time when the archive no longer knows the id it continued from (expired), with no doubles', async () => {
    const seed = (ids: number[], when: number) =>
      server.seedArchive(
        'carol',
        ids.map((i) => ({
          with: 'bob@localhost',
          from: 'bob@localhost/phone',
          to: 'carol@localhost',
          id: `c-${i}`,
          body: `carol message ${i}`,
          when,
        })),
      )
    const now = Math.floor(Date.now() / 1000)
    seed([0, 1, 2, 3, 4], now - 100)
    const carol = await chatProfile(server, 'carol')
    try {
      expect((await carol.chat.syncOnce(carol.accountId)).stored).toBe(5)
      carol.db.prepare(`UPDATE chat_sync SET archive_last_id = 'expired-id'`).run()
      seed([5, 6, 7], now)
      expect((await carol.chat.syncOnce(carol.accountId)).stored).toBe(3)
      const chat = findChat(carol.db, carol.accountId, 'bob@localhost')!
      expect(chatHistory(carol.db, chat.id, { limit: 100 }).map((m) => m.body)).toEqual(
        Array.from({ length: 8 }, (_, i) => `carol message ${i}`),
      )
    } finally {
      await carol.close()
    }
  })

  it('a message arriving live while a new connection catches up is stored after the older archived ones', async () => {
    const archived = 400
    const start = Math.floor(Date.now() / 1000) - 1000
    server.seedArchive(
      'dave',
      Array.from({ length: archived }, (_, i) => ({
        with: 'bob@localhost',
        from: 'bob@localhost/phone',
        to: 'dave@localhost',
        id: `d-${i}`,
        body: `dave message ${i}`,
        when: start + i,
      })),
    )
    // Small pages: the catch-up takes several round trips, and the live message lands among them.
    const dave = await chatProfile(server, 'dave', { archivePageSize: 20 })
    const bob = await rawSession(server, 'bob', 'live')
    try {
      const off = dave.client.events.on('archiveProgress', () => {
        off()
        bob.send(
          el('message', { to: dave.jid, type: 'chat', id: 'live-1' }, el('body', {}, 'live now')),
        )
      })
      dave.client.start()
      await until(() => dave.client.connection.status === 'online', 'dave online')
      await dave.client.whenSynced()
      const history = () => {
        const chat = findChat(dave.db, dave.accountId, 'bob@localhost')
        return chat ? chatHistory(dave.db, chat.id, { limit: 1000 }).map((m) => m.body) : []
      }
      await until(() => history().includes('live now'), 'the live message stored')
      expect(history()).toEqual([
        ...Array.from({ length: archived }, (_, i) => `dave message ${i}`),
        'live now',
      ])
    } finally {
      await bob.close()
      await dave.close()
    }
  }, 120_000)
})
