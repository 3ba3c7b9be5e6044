import { describe, expect, it } from 'vitest'
import { seedMaildir } from '../../support/dovecot'
import { hostileImap } from '../../support/hostile-imap'
import { openSyncWorld, realisticMessage, waitFor } from '../../support/sync-world'

const hostile = hostileImap(['byeidle', 'byestorm'])

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
