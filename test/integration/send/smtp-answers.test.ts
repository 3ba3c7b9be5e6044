import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SendService } from '../../../main/mail/send/send-service'
import { startDovecot } from '../../support/dovecot'
import { fakeSmtp } from '../../support/fake-smtp'
import { useRealKeychain } from '../../support/keyring'
import {
  imapsSettings,
  openSyncWorld,
  otherClient,
  serverMessageIds,
  type SyncWorld,
} from '../../support/sync-world'
import { makeTestCertificate } from '../../support/test-ca'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
beforeAll(async () => {
  keyring = await useRealKeychain()
})
afterAll(() => keyring?.stop())

async function accountOn(world: SyncWorld, port: number) {
  const { accountId } = await world.accounts.add({
    email: 'alice@example.test',
    password: 'alice-password',
    imap: { host: '127.0.0.1', port: 1, security: 'plain', username: 'alice' },
    smtp: { host: '127.0.0.1', port, security: 'plain', username: 'alice' },
    serverFilesSent: true,
    verify: false,
  })
  return accountId
}

/** The minutes queued for Carol and Bob through the server on `port`, and one send attempt made. */
async function minutesToCarolAndBob(world: SyncWorld, port: number): Promise<SendService> {
  const accountId = await accountOn(world, port)
  const send = new SendService(world.db, world.accounts.credentials)
  await send.send(accountId, {
    to: ['carol@example.test', 'bob@example.test'],
    subject: 'Minutes',
    text: 'for both of you',
  })
  await send.flush()
  return send
}

describe('SMTP answers the outbox must not hide', () => {
  it('does not report a message as sent when the server refused one of its recipients', async () => {
    const smtp = await fakeSmtp({
      rcpt: (to) =>
        to.startsWith('bob') ? '550 5.1.1 <bob@example.test>: mailbox unknown' : '250 2.1.5 ok',
    })
    const world = await openSyncWorld()
    try {
      const send = await minutesToCarolAndBob(world, smtp.port)
      // Carol got it; Bob never will. The outbox must still say so.
      expect(smtp.delivered).toEqual([['carol@example.test']])
      const entries = send.outbox()
      expect(entries).toHaveLength(1)
      expect(entries[0]?.lastError ?? '').toMatch(/bob@example\.test/)
      expect(entries[0]).toMatchObject({ state: 'failed', to: ['bob@example.test'] })
    } finally {
      await world.close()
      smtp.server.close()
    }
  })

  it('keeps a message queued with the reason when its password cannot be read, and sends it later', async () => {
    const smtp = await fakeSmtp({})
    const world = await openSyncWorld()
    try {
      const accountId = await accountOn(world, smtp.port)
      let keychainLocked = true
      // The keychain refusing (locked, its daemon gone) throws a plain error, not one of Cairn's.
      const send = new SendService(world.db, async (id, rejected) => {
        if (keychainLocked) throw new Error('The name org.freedesktop.secrets was not provided')
        return world.accounts.credentials(id, rejected)
      })
      await send.send(accountId, { to: ['carol@example.test'], subject: 'Later', text: 'x' })
      await send.flush()
      expect(send.outbox()).toMatchObject([{ state: 'queued', attempts: 1 }])
      expect(send.outbox()[0]?.lastError).toMatch(/org\.freedesktop\.secrets/)
      keychainLocked = false
      await send.flush({ force: true })
      expect(send.outbox()).toEqual([])
      expect(smtp.delivered).toEqual([['carol@example.test']])
    } finally {
      await world.close()
      smtp.server.close()
    }
  })

  it('retries a recipient the server greylisted (450) and reaches only that one again', async () => {
    let greylist = true
    const smtp = await fakeSmtp({
      rcpt: (to) =>
        to.startsWith('bob') && greylist
          ? '450 4.2.0 <bob@example.test>: greylisted'
          : '250 2.1.5 ok',
    })
    const world = await openSyncWorld()
    try {
      const send = await minutesToCarolAndBob(world, smtp.port)
      expect(send.outbox()).toMatchObject([{ state: 'queued', to: ['bob@example.test'] }])
      expect(send.outbox()[0]?.lastError).toMatch(/greylisted/)
      greylist = false
      await send.flush({ force: true })
      expect(smtp.delivered).toEqual([['carol@example.test'], ['bob@example.test']])
      expect(send.outbox()).toEqual([])
    } finally {
      await world.close()
      smtp.server.close()
    }
  })

  it('keeps a message queued with the reason when DATA gets a 4xx, and fails it on a 5xx', async () => {
    const temp = await fakeSmtp({ data: '451 4.3.0 try later' })
    const perm = await fakeSmtp({ data: '554 5.7.1 spam' })
    const world = await openSyncWorld()
    try {
      const a = await accountOn(world, temp.port)
      const send = new SendService(world.db, world.accounts.credentials)
      await send.send(a, { to: ['carol@example.test'], subject: 'T', text: 't' })
      await send.flush()
      expect(send.outbox()[0]).toMatchObject({ state: 'queued' })
      expect(send.outbox()[0]?.lastError).toMatch(/try later/)
      world.db.prepare('DELETE FROM outbox').run()
      const { accountId: b } = await world.accounts.add({
        email: 'dave@example.test',
        password: 'x',
        imap: { host: '127.0.0.1', port: 1, security: 'plain', username: 'dave' },
        smtp: { host: '127.0.0.1', port: perm.port, security: 'plain', username: 'dave' },
        serverFilesSent: true,
        verify: false,
      })
      await send.send(b, { to: ['carol@example.test'], subject: 'P', text: 'p' })
      await send.flush()
      expect(send.outbox()[0]).toMatchObject({ state: 'failed' })
      expect(send.outbox()[0]?.lastError).toMatch(/spam/)
    } finally {
      await world.close()
      temp.server.close()
      perm.server.close()
    }
  })

  it('files the copy in Sent once when some recipients got it, and never sends it to them again', async () => {
    // Carol's server takes it, Bob's address is unknown: Carol has the message, so
    // Sent must have it too (it had none while Bob stayed refused, for good on a 5xx).
    let bobKnown = false
    const smtp = await fakeSmtp({
      rcpt: (to) => (to.startsWith('bob') && !bobKnown ? BOB_UNKNOWN : '250 2.1.5 ok'),
    })
    const alice = await aliceWithSentOnDovecot(smtp.port)
    try {
      const { outboxId, messageId } = await alice.send.send(alice.accountId, MINUTES)
      await alice.send.flush()
      const id = messageId.replace(/^<|>$/g, '')
      expect(smtp.delivered).toEqual([['carol@example.test']])
      expect(await alice.sentCopies()).toEqual([id])
      const [entry] = alice.send.outbox()
      expect(entry).toMatchObject({ state: 'failed', to: ['bob@example.test'], sentCopy: 'done' })
      expect(entry?.lastError).toMatch(
        /^Not delivered to bob@example\.test \(550 .*mailbox unknown\)/,
      )
      expect(entry?.lastError).toMatch(/the other recipients have it/)

      // Retried while Bob is still unknown, then once he exists: only Bob is tried,
      // and Sent keeps its one copy.
      alice.send.sendNow(outboxId)
      await alice.send.flush({ force: true })
      expect(alice.send.outbox()).toMatchObject([{ state: 'failed', to: ['bob@example.test'] }])
      bobKnown = true
      alice.send.sendNow(outboxId)
      await alice.send.flush({ force: true })
      expect(smtp.delivered).toEqual([['carol@example.test'], ['bob@example.test']])
      expect(alice.send.outbox()).toEqual([])
      expect(await alice.sentCopies()).toEqual([id])
    } finally {
      await alice.close()
      smtp.server.close()
    }
  })

  it('files that copy at the next flush when Sent could not be reached, keeping the refusal shown', async () => {
    const smtp = await fakeSmtp({
      rcpt: (to) => (to.startsWith('bob') ? BOB_UNKNOWN : '250 2.1.5 ok'),
    })
    const alice = await aliceWithSentOnDovecot(smtp.port)
    try {
      const { messageId } = await alice.send.send(alice.accountId, MINUTES)
      await alice.dovecot.stop()
      await alice.send.flush()
      expect(alice.send.outbox()).toMatchObject([
        { state: 'failed', to: ['bob@example.test'], sentCopy: 'pending' },
      ])
      expect(alice.send.outbox()[0]?.lastError).toMatch(/^Not delivered to bob@example\.test/)

      await alice.dovecot.start()
      await alice.send.flush()
      expect(alice.send.outbox()).toMatchObject([
        { state: 'failed', to: ['bob@example.test'], sentCopy: 'done' },
      ])
      expect(alice.send.outbox()[0]?.lastError).toMatch(/^Not delivered to bob@example\.test/)
      expect(await alice.sentCopies()).toEqual([messageId.replace(/^<|>$/g, '')])
      expect(smtp.delivered).toEqual([['carol@example.test']])
    } finally {
      await alice.close()
      smtp.server.close()
    }
  })
})

const BOB_UNKNOWN = '550 5.1.1 <bob@example.test>: mailbox unknown'
const MINUTES = {
  to: ['carol@example.test', 'bob@example.test'],
  subject: 'Minutes',
  text: 'for both of you',
}

/** Alice sending through the fake SMTP server on `smtpPort`, with her Sent folder on a real Dovecot. */
async function aliceWithSentOnDovecot(smtpPort: number) {
  const cert = makeTestCertificate()
  const dovecot = await startDovecot({
    certificate: cert,
    users: [{ name: 'alice', password: 'alice-password' }],
  })
  const world = await openSyncWorld()
  const { accountId } = await world.accounts.add({
    email: 'alice@example.test',
    password: 'alice-password',
    imap: imapsSettings(dovecot, cert, 'alice'),
    smtp: { host: '127.0.0.1', port: smtpPort, security: 'plain', username: 'alice' },
    verify: false,
  })
  return {
    accountId,
    dovecot,
    send: new SendService(world.db, world.accounts.credentials),
    async sentCopies() {
      const client = await otherClient(dovecot, cert, 'alice', 'alice-password')
      try {
        return [...(await serverMessageIds(client, 'Sent')).values()]
      } finally {
        await client.logout()
      }
    },
    async close() {
      await world.close()
      await dovecot.stop()
    },
  }
}
