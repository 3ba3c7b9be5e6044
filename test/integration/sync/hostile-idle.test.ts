import { describe, expect, it } from 'vitest'
import { seedMaildir } from '../../support/dovecot'
import { hostileImap } from '../../support/hostile-imap'
import { localMessageIds, openSyncWorld, realisticMessage, waitFor } from '../../support/sync-world'

const hostile = hostileImap(['byeidle', 'byestorm', 'existsflood'])

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * `user`'s account syncing, its server saying goodbye as soon as each IDLE
 * starts (a connection limit, a proxy that drops idle sessions): `check`
 * runs with a count of the IDLEs sent so far.
 */
async function withByeOnIdle(user: string, check: (idles: () => number) => Promise<unknown>) {
  seedMaildir(
    hostile.dovecot,
    user,
    [0, 1].map((i) => ({ raw: realisticMessage(i) })),
  )
  let idles = 0
  hostile.relay.tamper = {
    kind: 'rewrite',
    rewriteClient: (text) => {
      idles += (text.match(/^\S+ IDLE\r\n/gm) ?? []).length
      return text
    },
    // Login, SELECT and IDLE succeed; then the server says goodbye.
    rewrite: (text) => text.replace(/^\+ idling\r\n/m, '+ idling\r\n* BYE Going away\r\n'),
  }
  const world = await openSyncWorld()
  try {
    await hostile.addAccount(world, user)
    world.sync.start()
    await check(() => idles)
  } finally {
    hostile.relay.tamper = { kind: 'pass' }
    await world.close()
  }
}

describe('a server that ends every IDLE at once', () => {
  it('an untagged BYE as soon as IDLE starts, while a sync runs: push still reconnects', async () => {
    // The first reconnect is followed by a full sync, during which the
    // next BYE comes: that one was never retried, and push ended for good.
    await withByeOnIdle('byeidle', (idles) => waitFor(() => idles() >= 3, 15_000, 100))
  })

  it('the same, over and over: the reconnect waits grow (1 s, 2 s, 4 s…), not a reconnect and full sync every second', async () => {
    await withByeOnIdle('byestorm', async (idles) => {
      await new Promise((resolve) => setTimeout(resolve, 6500))
      // Waits of 1, 2 and 4 s allow the first IDLE and two more in 6.5 s (the
      // fourth comes after 7 s); every successful sync used to start the
      // waits at 1 s again: five or more.
      expect(idles()).toBeGreaterThan(0)
      expect(idles()).toBeLessThanOrEqual(3)
    })
  })
})

describe('a server that floods EXISTS during IDLE', () => {
  it('thousands of untagged EXISTS: one push sync runs and one waits, none piles up; new mail still arrives', async () => {
    seedMaildir(
      hostile.dovecot,
      'existsflood',
      [0, 1].map((i) => ({ raw: realisticMessage(i) })),
    )
    let selects = 0
    hostile.relay.tamper = {
      kind: 'rewrite',
      rewriteClient: (text) => {
        selects += (text.match(/^\S+ (SELECT|EXAMINE) /gim) ?? []).length
        return text
      },
      rewrite: (text) => text,
    }
    const world = await openSyncWorld()
    try {
      const accountId = await hostile.addAccount(world, 'existsflood')
      world.sync.start()
      await waitFor(() => localMessageIds(world.db, accountId, 'INBOX').size === 2, 15_000)
      await waitFor(() => hostile.relay.toIdling('') > 0, 15_000)
      // A slow link: each folder sync takes round trips of 100 ms, longer
      // than the 50 ms in which push events are gathered.
      hostile.relay.latencyMs = 100
      await sleep(500)
      const before = selects
      const floodStarted = Date.now()
      // 3 s of EXISTS, 40 every 10 ms, the count going up and down.
      for (let i = 0; i < 300; i++) {
        hostile.relay.toIdling(
          Array.from({ length: 40 }, (_, k) => `* ${1000 + ((i + k) % 2)} EXISTS\r\n`).join(''),
        )
        await sleep(10)
      }
      const duringFlood = selects - before
      const floodMs = Date.now() - floodStarted
      // After the flood: the sync that was running and the one waiting, no more.
      await sleep(1500)
      const settled = selects
      await sleep(3000)
      const afterFlood = selects - settled
      // Each one queued behind the running one used to run after the flood too, for seconds.
      expect(afterFlood).toBe(0)
      // During it, one after the other: each at least a round trip (100 ms) and the 50 ms in
      // which events are gathered, so about 20 for 12,000 EXISTS.
      expect(duringFlood).toBeLessThanOrEqual(Math.ceil(floodMs / 100) + 2)

      seedMaildir(hostile.dovecot, 'existsflood', [{ raw: realisticMessage(2) }])
      await waitFor(() => localMessageIds(world.db, accountId, 'INBOX').size === 3, 15_000, 100)
    } finally {
      hostile.relay.tamper = { kind: 'pass' }
      hostile.relay.latencyMs = 0
      await world.close()
    }
  })
})
