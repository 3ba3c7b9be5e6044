import { describe, expect, it } from 'vitest'
import { seedMaildir } from '../../support/dovecot'
import { hostileImap } from '../../support/hostile-imap'
import { openSyncWorld, realisticMessage, waitFor } from '../../support/sync-world'

const hostile = hostileImap(['byeidle', 'byestorm'])

describe('a server that ends every IDLE at once', () => {
  it('an untagged BYE as soon as IDLE starts, while a sync runs: push still reconnects', async () => {
    seedMaildir(
      hostile.dovecot,
      'byeidle',
      [0, 1].map((i) => ({ raw: realisticMessage(i) })),
    )
    let idles = 0
    hostile.relay.tamper = {
      kind: 'rewrite',
      rewriteClient: (text) => {
        idles += (text.match(/^\S+ IDLE\r\n/gm) ?? []).length
        return text
      },
      // Login, SELECT and IDLE succeed; then the server says goodbye (a
      // connection limit, a proxy that drops idle sessions).
      rewrite: (text) => text.replace(/^\+ idling\r\n/m, '+ idling\r\n* BYE Going away\r\n'),
    }
    const world = await openSyncWorld()
    try {
      await hostile.addAccount(world, 'byeidle')
      world.sync.start()
      // The first reconnect is followed by a full sync, during which the
      // next BYE comes: that one was never retried, and push ended for good.
      await waitFor(() => idles >= 3, 15_000, 100)
    } finally {
      hostile.relay.tamper = { kind: 'pass' }
      await world.close()
    }
  })

  it('the same, over and over: the reconnect waits grow (1 s, 2 s, 4 s…), not a reconnect and full sync every second', async () => {
    seedMaildir(
      hostile.dovecot,
      'byestorm',
      [0, 1].map((i) => ({ raw: realisticMessage(i) })),
    )
    let idles = 0
    hostile.relay.tamper = {
      kind: 'rewrite',
      rewriteClient: (text) => {
        idles += (text.match(/^\S+ IDLE\r\n/gm) ?? []).length
        return text
      },
      rewrite: (text) => text.replace(/^\+ idling\r\n/m, '+ idling\r\n* BYE Going away\r\n'),
    }
    const world = await openSyncWorld()
    try {
      await hostile.addAccount(world, 'byestorm')
      world.sync.start()
      await new Promise((resolve) => setTimeout(resolve, 6500))
      // Waits of 1, 2 and 4 s allow the first IDLE and two more in 6.5 s (the
      // fourth comes after 7 s); every successful sync used to start the
      // waits at 1 s again: five or more.
      expect(idles).toBeGreaterThan(0)
      expect(idles).toBeLessThanOrEqual(3)
    } finally {
      hostile.relay.tamper = { kind: 'pass' }
      await world.close()
    }
  })
})
