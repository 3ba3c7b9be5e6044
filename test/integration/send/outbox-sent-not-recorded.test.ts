import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SendService } from '../../../main/mail/send/send-service'
import { fakeSmtp } from '../../support/fake-smtp'
import { useRealKeychain } from '../../support/keyring'
import { sendingAccount } from '../../support/outbox-accounts'
import { openSyncWorld } from '../../support/sync-world'

/**
 * The server took the message, then the mailbox file refused the write that
 * says so (disk full, another writer holding the lock past the busy
 * timeout). The message must not go out a second time: the SMTP attempt
 * did not fail, only its record.
 */

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
beforeAll(async () => {
  keyring = await useRealKeychain()
})
afterAll(() => keyring?.stop())

describe('a message the server took whose "sent" could not be written', () => {
  it('is not sent again, and is recorded sent once the database takes writes again', async () => {
    const smtp = await fakeSmtp({})
    const world = await openSyncWorld()
    try {
      const accountId = await sendingAccount(world, 'alice', smtp.port)
      const send = new SendService(world.db, world.accounts.credentials)
      await send.send(accountId, { to: ['carol@example.test'], subject: 'Once', text: 'x' })

      // The real database, made to refuse exactly that write (as a full disk would).
      world.db.exec(`CREATE TEMP TRIGGER refuse_sent BEFORE UPDATE OF state ON main.outbox
                       WHEN NEW.state = 'sent' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`)
      await send.flush().catch(() => undefined)
      expect(smtp.delivered).toEqual([['carol@example.test']])

      // Later deliveries (the app's timer, "send now", the CLI's forced flush) while it still refuses…
      await send.flush({ force: true }).catch(() => undefined)
      world.db.exec('DROP TRIGGER refuse_sent')
      // …and once it takes writes again.
      await send.flush({ force: true }).catch(() => undefined)
      await send.flush({ force: true })
      await send.idle()

      expect(smtp.delivered).toEqual([['carol@example.test']])
      expect(send.outbox()).toEqual([])
    } finally {
      await world.close()
      smtp.server.close()
    }
  })

  it('reached only some recipients: theirs is not sent again, the others get it later', async () => {
    let bobRefused = true
    const smtp = await fakeSmtp({
      rcpt: (to) =>
        to.startsWith('bob') && bobRefused ? '451 4.2.0 <bob@example.test>: try later' : '250 ok',
    })
    const world = await openSyncWorld()
    try {
      const accountId = await sendingAccount(world, 'alice', smtp.port)
      const send = new SendService(world.db, world.accounts.credentials)
      await send.send(accountId, {
        to: ['carol@example.test', 'bob@example.test'],
        subject: 'Minutes',
        text: 'x',
      })
      world.db
        .exec(`CREATE TEMP TRIGGER refuse_narrowing BEFORE UPDATE OF envelope_to ON main.outbox
                       BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`)
      await send.flush().catch(() => undefined)
      expect(smtp.delivered).toEqual([['carol@example.test']])
      await send.flush({ force: true }).catch(() => undefined)
      world.db.exec('DROP TRIGGER refuse_narrowing')
      bobRefused = false
      await send.flush({ force: true }).catch(() => undefined)
      await send.flush({ force: true })
      await send.idle()

      expect(smtp.delivered).toEqual([['carol@example.test'], ['bob@example.test']])
      expect(send.outbox()).toEqual([])
    } finally {
      await world.close()
      smtp.server.close()
    }
  })
})
