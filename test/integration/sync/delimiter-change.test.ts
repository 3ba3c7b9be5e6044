import { describe, expect, it } from 'vitest'
import type { MailDb } from '../../../main/mail/db/connection'
import { seedMaildir } from '../../support/dovecot'
import { useMailServers } from '../../support/mail-servers'
import {
  addTestAccount,
  imapsSettings,
  openSyncWorld,
  otherClient,
  realisticMessage,
  serverMessageIds,
} from '../../support/sync-world'

const servers = useMailServers({ separator: '.', postfix: false })
const { cert } = servers

/** The account's folders as the tree shows them: id, path and the Message-IDs in each. */
const tree = (db: MailDb) =>
  db
    .prepare<[], { id: number; path: string; messages: string | null }>(
      `SELECT f.id, f.path,
              (SELECT group_concat(m.message_id, ' ') FROM
                 (SELECT message_id FROM messages WHERE folder_id = f.id ORDER BY message_id) m)
                AS messages
         FROM folders f JOIN accounts a ON a.id = f.account_id
        WHERE a.kind = 'imap' ORDER BY f.path`,
    )
    .all()

const messageRows = (db: MailDb) =>
  db
    .prepare<[], { id: number; message_id: string }>(
      'SELECT id, message_id FROM messages ORDER BY id',
    )
    .all()

describe('the server’s hierarchy delimiter changes between two syncs', () => {
  it('keeps every folder with its messages, follows a queued move, and duplicates nothing', async () => {
    seedMaildir(servers.dovecot, 'alice', [
      { raw: realisticMessage(0) },
      { raw: realisticMessage(1) },
    ])
    seedMaildir(servers.dovecot, 'alice', [{ raw: realisticMessage(2) }], 'Work')
    seedMaildir(servers.dovecot, 'alice', [{ raw: realisticMessage(3) }], 'Work/Projects')
    const world = await openSyncWorld()
    try {
      const accountId = await addTestAccount(world, 'alice', imapsSettings(servers.dovecot, cert))
      await world.sync.syncOnce(accountId)
      const before = tree(world.db)
      expect(before.find((f) => f.path === 'Work/Projects')?.messages).toBe('msg-3@example.org')
      const rows = messageRows(world.db)

      // The server moves from "." to "/" (the same mailboxes); meanwhile the user files a message.
      await servers.dovecot.stop()
      servers.dovecot.setSeparator('/')
      await servers.dovecot.start()
      const projects = before.find((f) => f.path === 'Work/Projects')!
      const filed = rows.find((r) => r.message_id === 'msg-0@example.org')!
      world.sync.move([filed.id], projects.id)

      const [report] = await world.sync.syncOnce(accountId)
      expect(report?.actionsDropped).toEqual([])
      // The same folders (same ids, no "Projects (2)"), the same message rows (nothing fetched again).
      expect(tree(world.db)).toEqual(
        before.map((f) =>
          f.path === 'Inbox'
            ? { ...f, messages: 'msg-1@example.org' }
            : f.path === 'Work/Projects'
              ? { ...f, messages: 'msg-0@example.org msg-3@example.org' }
              : f,
        ),
      )
      expect(messageRows(world.db)).toEqual(rows)
      expect(
        world.db
          .prepare<[], { imap_path: string; delimiter: string }>(
            "SELECT imap_path, delimiter FROM remote_folders WHERE imap_path LIKE 'Work%' ORDER BY 1",
          )
          .all(),
      ).toEqual([
        { imap_path: 'Work', delimiter: '/' },
        { imap_path: 'Work/Projects', delimiter: '/' },
      ])
      // The queued move reached the server under the folder's new name.
      expect(world.db.prepare('SELECT count(*) AS n FROM sync_actions').get()).toEqual({ n: 0 })
      const client = await otherClient(servers.dovecot, cert)
      try {
        expect([...(await serverMessageIds(client, 'Work/Projects')).values()].sort()).toEqual([
          'msg-0@example.org',
          'msg-3@example.org',
        ])
      } finally {
        await client.logout()
      }
      // And a folder made now is made with the server's current delimiter.
      expect(
        world.db
          .prepare<[], { n: number }>(
            "SELECT count(*) AS n FROM remote_folders WHERE delimiter IS NOT '/'",
          )
          .get(),
      ).toEqual({ n: 0 })
    } finally {
      await world.close()
    }
  })
})
