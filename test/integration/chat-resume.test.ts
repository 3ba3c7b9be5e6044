import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findChat } from '../../main/chat/store/chats'
import { chatHistory } from '../../main/chat/store/messages'
import { chatProfile, count, PASSWORD, until, type ChatProfile } from '../support/chat'
import { useRealKeychain } from '../support/keyring'
import { startProsody, type ProsodyServer } from '../support/prosody'

let server: ProsodyServer
let keychain: { stop: () => void }
let alice: ChatProfile
let bob: ChatProfile

beforeAll(async () => {
  keychain = await useRealKeychain()
  server = await startProsody()
  server.register('alice', PASSWORD)
  server.register('bob', PASSWORD)
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

function bodies(p: ChatProfile, peer: string, direction: 'in' | 'out', prefix: string): string[] {
  const chat = findChat(p.db, p.accountId, peer)
  if (!chat) return []
  return chatHistory(p.db, chat.id, { limit: 100_000 })
    .filter((m) => m.direction === direction && m.body.startsWith(prefix))
    .map((m) => m.body)
}

/** Both sides hold exactly the `n` messages each way, in order, once; nothing is left queued. */
async function expectComplete(prefix: string, n: number): Promise<void> {
  const want = (who: string) => Array.from({ length: n }, (_, i) => `${prefix} ${who} ${i}`)
  await until(
    () =>
      bodies(bob, alice.jid, 'in', prefix).length >= n &&
      bodies(alice, bob.jid, 'in', prefix).length >= n &&
      count(alice.db, `SELECT count(*) AS n FROM chat_messages WHERE state = 'queued'`) === 0 &&
      count(bob.db, `SELECT count(*) AS n FROM chat_messages WHERE state = 'queued'`) === 0,
    `all ${prefix} messages`,
    90_000,
  )
  expect(bodies(bob, alice.jid, 'in', prefix)).toEqual(want('alice'))
  expect(bodies(alice, bob.jid, 'in', prefix)).toEqual(want('bob'))
  expect(bodies(alice, bob.jid, 'out', prefix)).toEqual(want('alice'))
  expect(bodies(bob, alice.jid, 'out', prefix)).toEqual(want('bob'))
}

describe('stream management (XEP-0198) and reconnection', () => {
  it('resumes a dropped connection: the stream continues, nothing lost or doubled', async () => {
    const resumed = new Promise<boolean>((resolve) => {
      const off = alice.client.events.on('state', (state) => {
        if (state.status === 'online') {
          off()
          resolve(state.resumed)
        }
      })
    })
    const n = 300
    for (let i = 0; i < n; i++) {
      alice.client.sendText(bob.jid, `drop alice ${i}`)
      bob.client.sendText(alice.jid, `drop bob ${i}`)
      if (i === 100) alice.client.dropConnection() // mid-burst, as a network loss would
    }
    expect(await resumed).toBe(true)
    await expectComplete('drop', n)
  }, 120_000)

  it('survives Prosody killed and restarted in the middle of a burst: no message lost or doubled', async () => {
    const n = 400
    const kill = (async () => {
      await until(() => bodies(bob, alice.jid, 'in', 'crash').length >= 50, 'the burst under way')
      await server.kill()
      await new Promise((r) => setTimeout(r, 500))
      await server.start()
    })()
    for (let i = 0; i < n; i++) {
      alice.client.sendText(bob.jid, `crash alice ${i}`)
      bob.client.sendText(alice.jid, `crash bob ${i}`)
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 10))
    }
    await kill
    await until(
      () =>
        alice.client.connection.status === 'online' && bob.client.connection.status === 'online',
      'both back online',
      60_000,
    )
    await Promise.all([alice.client.whenSynced(), bob.client.whenSynced()])
    await expectComplete('crash', n)
  }, 180_000)

  it('reports the state of an account that cannot connect, and retries with growing waits', async () => {
    const states: { status: string; retryAt?: number; at: number }[] = []
    const off = alice.client.events.on('state', (s) =>
      states.push({ ...(s as { status: string; retryAt?: number }), at: Date.now() }),
    )
    await server.kill()
    await until(
      () => states.filter((s) => s.status === 'waiting').length >= 3,
      'three retries',
      30_000,
    )
    const waits = states.filter((s) => s.status === 'waiting')
    expect(waits[0]).toMatchObject({ status: 'waiting', error: { code: 'CHAT_UNREACHABLE' } })
    // Each wait is longer than the one before (doubling, with at most ±25% jitter).
    const delays = waits.slice(0, 4).map((w) => (w.retryAt as number) - w.at)
    for (let i = 1; i < delays.length; i++)
      expect(delays[i]).toBeGreaterThan(delays[i - 1] as number)
    await server.start()
    await until(() => alice.client.connection.status === 'online', 'alice reconnected', 30_000)
    off()
  }, 60_000)
})
