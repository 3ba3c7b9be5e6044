import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SendService } from '../../../main/mail/send/send-service'
import { fakeSmtp } from '../../support/fake-smtp'
import { useRealKeychain } from '../../support/keyring'
import { heldSmtp, sendingAccount } from '../../support/outbox-accounts'
import { openSyncWorld } from '../../support/sync-world'
import { until } from '../../support/within'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
beforeAll(async () => {
  keyring = await useRealKeychain()
})
afterAll(() => keyring?.stop())

describe('"Send now" while another account’s server is slow', () => {
  it('sends the message at once, beside the attempt still waiting on the slow server', async () => {
    // Work's server takes the message and then keeps Cairn waiting for its answer.
    const slow = await heldSmtp()
    const fast = await fakeSmtp({})
    const world = await openSyncWorld()
    try {
      const work = await sendingAccount(world, 'alice', slow.port)
      const home = await sendingAccount(world, 'bob', fast.port)
      const send = new SendService(world.db, world.accounts.credentials)
      await send.send(work, { to: ['boss@example.test'], subject: 'Report', text: 'x' })
      const first = send.flush()
      await until(slow.reached, 'the slow server to get the report')

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

      slow.release()
      await first
      await send.idle()
      expect(slow.delivered).toEqual([['boss@example.test']])
      expect(send.outbox()).toEqual([])
    } finally {
      slow.release()
      await world.close()
      slow.server.close()
      fast.server.close()
    }
  })
})
