import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { osKeychain } from '../../../main/keychain/keychain'
import { openMailDb } from '../../../main/mail/db/connection'
import { openMailAccounts } from '../../../main/mail/mail-accounts'
import { profilePaths } from '../../../main/profile/layout'
import { fakeSmtp } from '../../support/fake-smtp'
import { useRealKeychain } from '../../support/keyring'
import { sendingAccount } from '../../support/outbox-accounts'
import { tempDir } from '../../support/temp'
import { until } from '../../support/within'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
beforeAll(async () => {
  keyring = await useRealKeychain()
})
afterAll(() => keyring?.stop())

describe('the outbox timer when the database refuses a delivery', () => {
  // A full disk fails the write that marks an entry 'sending'. The timer's
  // flush rejected with nothing to catch it: an unhandled rejection, which
  // ends a Node process (and vitest fails the run on it).
  it('tells what stopped it, sends nothing, and the app goes on', async () => {
    const paths = profilePaths(tempDir())
    const db = openMailDb(paths.database)
    const lines: string[] = []
    const mail = openMailAccounts({
      db,
      paths,
      profileId: `test-${randomBytes(6).toString('hex')}`,
      keychain: osKeychain('CairnTest'),
      log: (line) => lines.push(line),
    })
    const smtp = await fakeSmtp({})
    try {
      const accountId = await sendingAccount(mail, 'alice', smtp.port)
      db.exec(`CREATE TEMP TRIGGER refuse_outbox BEFORE UPDATE ON main.outbox
                 BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`)
      await mail.send.send(accountId, { to: ['carol@example.test'], subject: 'Hi', text: 'x' })
      mail.start()
      await until(() => lines.length > 0, 'the outbox timer to tell what stopped it')
      expect(lines[0]).toMatch(/^Outbox: delivery stopped: .*database or disk is full/)
      expect(smtp.delivered).toEqual([])
      expect(mail.send.outbox()).toMatchObject([{ subject: 'Hi', state: 'queued' }])
    } finally {
      db.exec('DROP TRIGGER IF EXISTS refuse_outbox')
      await mail.close()
      db.close()
      smtp.server.close()
    }
  })
})
