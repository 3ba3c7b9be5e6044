import { describe, expect, it } from 'vitest'
import { seedMaildir } from '../../support/dovecot'
import { useMailServers } from '../../support/mail-servers'
import {
  imapsSettings,
  localMessageIds,
  openSyncWorld,
  otherClient,
  realisticMessage,
  serverMessageIds,
} from '../../support/sync-world'

const servers = useMailServers({ users: ['alice'], postfix: false })
const { cert } = servers

describe('first sync against Dovecot', () => {
  it('stores exactly the server’s 10,000 messages, headers first and newest first, then every body', async () => {
    const count = 10_000
    seedMaildir(
      servers.dovecot,
      'alice',
      (function* () {
        for (let i = 0; i < count; i++)
          yield {
            raw: realisticMessage(i, { attachmentBytes: i % 10 === 0 ? 20_000 : 0 }),
            flags: i % 3 === 0 ? 'S' : '',
          }
      })(),
    )
    const world = await openSyncWorld()
    try {
      const { accountId } = await world.accounts.add({
        email: 'alice@example.test',
        password: 'alice-password',
        imap: imapsSettings(servers.dovecot, cert),
        smtp: {
          host: '127.0.0.1',
          port: servers.dovecot.imapsPort,
          security: 'tls',
          username: 'alice',
          caFile: cert.caFile,
        },
        verify: false,
      })
      // The first committed batch is the newest 100 messages, as headers only.
      const firstBatch: { max: number; n: number }[] = []
      const off = world.sync.events.on('changed', () => {
        if (firstBatch.length === 0)
          firstBatch.push(
            world.db
              .prepare<[], { max: number; n: number }>(
                `SELECT max(uid) AS max, count(*) AS n FROM remote_messages WHERE state = 'headers'`,
              )
              .get()!,
          )
      })
      const [report] = await world.sync.syncOnce(accountId)
      off()
      expect(firstBatch[0]).toEqual({ max: count, n: 100 })
      expect(report?.added).toBe(count)
      expect(report?.bodies).toBe(count)

      const other = await otherClient(servers.dovecot, cert)
      const server = await serverMessageIds(other, 'INBOX')
      await other.logout()
      const local = localMessageIds(world.db, accountId, 'INBOX')
      expect(local.size).toBe(count)
      expect([...local.entries()].sort((a, b) => a[0] - b[0])).toEqual(
        [...server.entries()].sort((a, b) => a[0] - b[0]),
      )
      // Flags came along; bodies, attachments and the raw source are stored.
      const inbox = world.db
        .prepare<[], { total: number; unread: number }>(
          `SELECT total, unread FROM folders WHERE special_use = '\\Inbox' AND account_id = ${accountId}`,
        )
        .get()
      expect(inbox).toEqual({ total: count, unread: count - Math.ceil(count / 3) })
      expect(
        world.db.prepare(`SELECT count(*) AS n FROM remote_messages WHERE state <> 'full'`).get(),
      ).toEqual({ n: 0 })
      expect(
        world.db.prepare(`SELECT count(*) AS n FROM messages WHERE has_attachments = 1`).get(),
      ).toEqual({ n: count / 10 })
      const id = world.db
        .prepare<[], { id: number }>(
          `SELECT id FROM messages WHERE message_id = 'msg-42@example.org'`,
        )
        .get()!.id
      expect(world.sync.source(id)?.toString()).toBe(realisticMessage(42))
      // Search finds synced bodies.
      const hit = world.db
        .prepare(`SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH '"Sender" "42"'`)
        .get() as { n: number }
      expect(hit.n).toBeGreaterThan(0)

      // A second sync with nothing changed adds nothing and loses nothing.
      const [again] = await world.sync.syncOnce(accountId)
      expect(again).toMatchObject({ added: 0, removed: 0, bodies: 0 })
      expect(localMessageIds(world.db, accountId, 'INBOX').size).toBe(count)
    } finally {
      await world.close()
    }
  }, 240_000)
})
