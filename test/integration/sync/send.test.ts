import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SendService } from '../../../main/mail/send/send-service'
import { tempDir } from '../../support/temp'
import { useMailServers } from '../../support/mail-servers'
import {
  imapsSettings,
  localMessageIds,
  openSyncWorld,
  otherClient,
  serverMessageIds,
  waitFor,
  type SyncWorld,
} from '../../support/sync-world'

const servers = useMailServers({ users: ['alice', 'bob', 'carol'] })
const { cert } = servers

async function account(world: SyncWorld, user: string) {
  const { accountId } = await world.accounts.add({
    email: `${user}@example.test`,
    password: `${user}-password`,
    imap: imapsSettings(servers.dovecot, cert, user),
    smtp: {
      host: '127.0.0.1',
      port: servers.postfix.submissionPort,
      security: 'starttls',
      username: user,
      caFile: cert.caFile,
    },
  })
  return accountId
}

async function inboxOf(user: string) {
  const client = await otherClient(servers.dovecot, cert, user, `${user}-password`)
  try {
    return [...(await serverMessageIds(client, 'INBOX')).values()]
  } finally {
    await client.logout()
  }
}

describe('sending through Postfix', () => {
  it('delivers into the recipient’s Inbox over LMTP and files a copy in Sent', async () => {
    const world = await openSyncWorld()
    try {
      const accountId = await account(world, 'alice')
      await world.sync.syncOnce(accountId)
      const send = new SendService(world.db, world.accounts.credentials)
      const file = join(tempDir(), 'notes.txt')
      writeFileSync(file, 'attached notes\n')
      const { messageId } = await send.send(accountId, {
        to: ['bob@example.test'],
        subject: 'Lunch on Friday',
        text: 'Shall we?',
        attachments: [file],
      })
      expect(send.outbox()).toMatchObject([{ state: 'queued', subject: 'Lunch on Friday' }])
      await send.flush()
      expect(send.outbox()).toEqual([])
      const id = messageId.replace(/^<|>$/g, '')
      await waitFor(async () => (await inboxOf('bob')).includes(id), 10_000, 200)
      // The copy in Sent is on the server, and comes down with the next sync.
      await world.sync.syncOnce(accountId)
      expect([...localMessageIds(world.db, accountId, 'Sent').values()]).toEqual([id])
      const copy = world.db
        .prepare<[string], { seen: number; has_attachments: number }>(
          'SELECT seen, has_attachments FROM messages WHERE message_id = ?',
        )
        .get(id)
      expect(copy).toEqual({ seen: 1, has_attachments: 1 })
    } finally {
      await world.close()
    }
  })

  it('keeps a message in the outbox with the reason while SMTP is down, and sends it once when it is back', async () => {
    const world = await openSyncWorld()
    try {
      const accountId = await account(world, 'carol')
      await world.sync.syncOnce(accountId)
      await servers.postfix.stop()
      let send = new SendService(world.db, world.accounts.credentials)
      const { messageId } = await send.send(accountId, {
        to: ['bob@example.test'],
        subject: 'While down',
        text: 'queued',
      })
      await send.flush()
      const [entry] = send.outbox()
      expect(entry).toMatchObject({ state: 'queued', attempts: 1 })
      expect(entry?.lastError).toMatch(/cannot be reached.*stays in the outbox/)
      expect(entry!.nextAttemptAt).toBeGreaterThan(Date.now() + 20_000)
      // Not due yet: an automatic flush leaves it alone.
      await send.flush()
      expect(send.outbox()[0]?.attempts).toBe(1)

      // The app restarts; the server is back; the retry sends it.
      await servers.postfix.start()
      send = new SendService(world.db, world.accounts.credentials)
      await send.flush({ force: true })
      expect(send.outbox()).toEqual([])
      const id = messageId.replace(/^<|>$/g, '')
      await waitFor(
        async () => (await inboxOf('bob')).filter((m) => m === id).length === 1,
        10_000,
        200,
      )
    } finally {
      await world.close()
    }
  })
})
