import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SendService } from '../../../main/mail/send/send-service'
import { fakeSmtp } from '../../support/fake-smtp'
import { useRealKeychain } from '../../support/keyring'
import { heldSmtp, sendingAccount } from '../../support/outbox-accounts'
import { openSyncWorld } from '../../support/sync-world'
import { until } from '../../support/within'

/**
 * Removing an account takes its outbox entries with it, one being sent
 * included, while its SMTP attempt goes on. Outbox ids are SQLite rowids,
 * which a new entry takes again once the highest is deleted: the attempt's
 * answer must land on nothing, not on the new entry that now has its id.
 */

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
beforeAll(async () => {
  keyring = await useRealKeychain()
})
afterAll(() => keyring?.stop())

describe('an account removed while its message is being sent', () => {
  it('leaves a message queued since (with the same outbox id) waiting, not marked sent and dropped', async () => {
    const slow = await heldSmtp()
    const other = await fakeSmtp({})
    const world = await openSyncWorld()
    try {
      const old = await sendingAccount(world, 'alice', slow.port)
      const home = await sendingAccount(world, 'bob', other.port)
      const send = new SendService(world.db, world.accounts.credentials)
      const first = await send.send(old, {
        to: ['boss@example.test'],
        subject: 'Report',
        text: 'x',
      })
      const delivering = send.flush()
      await until(slow.reached, 'the slow server to get the report')

      // The user gives up on that account while its server still has the report.
      world.accounts.remove(old)
      expect(send.outbox()).toEqual([])
      // A message from another account, not sent yet: it takes the freed id.
      const next = await send.send(home, { to: ['mum@example.test'], subject: 'Sunday', text: 'y' })
      expect(next.outboxId).toBe(first.outboxId)

      slow.release()
      await delivering
      await send.idle()
      expect(send.outbox()).toMatchObject([
        { id: next.outboxId, subject: 'Sunday', state: 'queued', attempts: 0 },
      ])
      expect(other.delivered).toEqual([])

      // And it still goes out when its turn comes.
      await send.flush({ force: true })
      expect(other.delivered).toEqual([['mum@example.test']])
      expect(send.outbox()).toEqual([])
    } finally {
      slow.release()
      await world.close()
      slow.server.close()
      other.server.close()
    }
  })
})
