import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SendService } from '../../../main/mail/send/send-service'
import { fakeSmtp } from '../../support/fake-smtp'
import { useRealKeychain } from '../../support/keyring'
import { openSyncWorld, type SyncWorld } from '../../support/sync-world'
import { within } from '../../support/within'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
beforeAll(async () => {
  keyring = await useRealKeychain()
})
afterAll(() => keyring?.stop())

async function accountOn(world: SyncWorld, user: string, port: number): Promise<number> {
  const { accountId } = await world.accounts.add({
    email: `${user}@example.test`,
    password: `${user}-password`,
    imap: { host: '127.0.0.1', port: 1, security: 'plain', username: user },
    smtp: { host: '127.0.0.1', port, security: 'plain', username: user },
    serverFilesSent: true,
    verify: false,
  })
  return accountId
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  await within(
    (async () => {
      while (!check()) await new Promise((resolve) => setTimeout(resolve, 20))
    })(),
    what,
    ms,
  )
}

describe('"Send now" while another account’s server is slow', () => {
  it('sends the message at once, beside the attempt still waiting on the slow server', async () => {
    // Work's server takes the message and then keeps Cairn waiting for its answer.
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    let reached = false
    const slow = await fakeSmtp({
      hold: () => {
        reached = true
        return released
      },
    })
    const fast = await fakeSmtp({})
    const world = await openSyncWorld()
    try {
      const work = await accountOn(world, 'alice', slow.port)
      const home = await accountOn(world, 'bob', fast.port)
      const send = new SendService(world.db, world.accounts.credentials)
      await send.send(work, { to: ['boss@example.test'], subject: 'Report', text: 'x' })
      const first = send.flush()
      await until(() => reached, 'the slow server to get the report')

      const { outboxId } = await send.send(home, {
        to: ['mum@example.test'],
        subject: 'Sunday',
        text: 'see you',
      })
      send.sendNow(outboxId)
      await until(() => fast.delivered.length === 1, 'the home message to go out', 5_000)
      expect(fast.delivered).toEqual([['mum@example.test']])
      // Sent and gone from the outbox, while the report is still being sent.
      await until(() => send.outbox().length === 1, 'the home message to leave the outbox')
      expect(send.outbox()).toMatchObject([{ subject: 'Report', state: 'sending' }])

      release()
      await first
      await send.idle()
      expect(slow.delivered).toEqual([['boss@example.test']])
      expect(send.outbox()).toEqual([])
    } finally {
      release()
      await world.close()
      slow.server.close()
      fast.server.close()
    }
  })
})
