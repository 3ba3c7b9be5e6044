import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { seedMaildir, ensureMaildir } from '../../support/dovecot'
import { useMailServers } from '../../support/mail-servers'
import {
  addTestAccount,
  imapsSettings,
  localMessageIds,
  openSyncWorld,
  otherClient,
  realisticMessage,
  remoteFolderId,
  type SyncWorld,
} from '../../support/sync-world'
import {
  moveLocally,
  pendingActionCount,
  setFlagsLocally,
} from '../../../main/mail/sync/local-actions'

const servers = useMailServers({ users: ['requeue', 'requeue-folder', 'refused'], postfix: false })
const { cert } = servers

const idOf = (world: SyncWorld, mid: string) =>
  world.db
    .prepare<[string], { id: number }>('SELECT id FROM messages WHERE message_id = ?')
    .get(mid)!.id

describe('actions queued while offline, then the server resets UIDVALIDITY', () => {
  it.each([
    ['a sync of every folder', 'requeue'],
    ['a sync of that folder alone (after a push)', 'requeue-folder'],
  ])(
    'still reach the server once %s re-matches the folder (nothing the user did is lost)',
    async (_, user) => {
      seedMaildir(
        servers.dovecot,
        user,
        [0, 1, 2].map((i) => ({ raw: realisticMessage(i) })),
      )
      ensureMaildir(servers.dovecot, user, 'Archive')
      const world = await openSyncWorld()
      try {
        const accountId = await addTestAccount(
          world,
          user,
          imapsSettings(servers.dovecot, cert, user),
        )
        await world.sync.syncOnce(accountId)
        const archive = remoteFolderId(world.db, 'Archive')

        // Offline: the user flags one message and files another in Archive.
        await servers.dovecot.stop()
        setFlagsLocally(world.db, [idOf(world, 'msg-1@example.org')], { flagged: true })
        moveLocally(world.db, [idOf(world, 'msg-2@example.org')], archive)

        // Meanwhile the server lost its INBOX index: a new UIDVALIDITY, same messages.
        const maildir = servers.dovecot.maildir(user)
        for (const name of readdirSync(maildir))
          if (name.startsWith('dovecot')) rmSync(join(maildir, name), { force: true })
        await new Promise((r) => setTimeout(r, 1100))
        await servers.dovecot.start()

        if (user === 'requeue') {
          const [report] = await world.sync.syncOnce(accountId)
          expect(report?.uidvalidityResets).toBe(1)
        } else {
          await world.sync.account(accountId).syncFolderNow(remoteFolderId(world.db, 'INBOX'))
        }
        expect(pendingActionCount(world.db, accountId)).toBe(0)

        const other = await otherClient(servers.dovecot, cert, user, `${user}-password`)
        try {
          const where = new Map<string, { folder: string; flags: string[] }>()
          for (const folder of ['INBOX', 'Archive']) {
            const lock = await other.getMailboxLock(folder)
            try {
              if (other.mailbox && other.mailbox.exists > 0)
                for await (const m of other.fetch('1:*', {
                  uid: true,
                  envelope: true,
                  flags: true,
                }))
                  where.set(m.envelope?.messageId ?? '', { folder, flags: [...(m.flags ?? [])] })
            } finally {
              lock.release()
            }
          }
          // The flag set offline is on the server, and the message filed offline is in Archive there too.
          expect(where.get('<msg-1@example.org>')?.flags).toContain('\\Flagged')
          expect(where.get('<msg-2@example.org>')?.folder).toBe('Archive')
        } finally {
          await other.logout()
        }
        // And the local view agrees with the server (the moved message is in Archive once, not stranded).
        const local = world.db
          .prepare<[], { message_id: string; folder: string; flagged: number }>(
            `SELECT m.message_id, f.imap_path AS folder, m.flagged FROM messages m
             JOIN remote_messages r ON r.message_id = m.id
             JOIN remote_folders f ON f.folder_id = r.folder_id
            WHERE m.folder_id = r.folder_id ORDER BY m.message_id`,
          )
          .all()
        expect(local).toEqual([
          { message_id: 'msg-0@example.org', folder: 'INBOX', flagged: 0 },
          { message_id: 'msg-1@example.org', folder: 'INBOX', flagged: 1 },
          { message_id: 'msg-2@example.org', folder: 'Archive', flagged: 0 },
        ])
      } finally {
        await world.close()
      }
    },
  )
})

describe('a queued move the server refuses (its target folder was deleted elsewhere)', () => {
  it('does not stop the account from syncing, and the message ends up where the server has it', async () => {
    seedMaildir(
      servers.dovecot,
      'refused',
      [0, 1, 2].map((i) => ({ raw: realisticMessage(i) })),
    )
    ensureMaildir(servers.dovecot, 'refused', 'Projects')
    const world = await openSyncWorld()
    try {
      const accountId = await addTestAccount(
        world,
        'refused',
        imapsSettings(servers.dovecot, cert, 'refused'),
      )
      await world.sync.syncOnce(accountId)
      const projects = remoteFolderId(world.db, 'Projects')
      const moved = world.db
        .prepare<[], { id: number }>(
          `SELECT id FROM messages WHERE message_id = 'msg-1@example.org'`,
        )
        .get()!.id
      // The user files a message in Projects; before that reaches the server,
      // another client deletes Projects, and new mail arrives.
      moveLocally(world.db, [moved], projects)
      const other = await otherClient(servers.dovecot, cert, 'refused', 'refused-password')
      await other.mailboxDelete('Projects')
      await other.append('INBOX', realisticMessage(9))
      await other.logout()

      const outcome = await world.sync.syncOnce(accountId).then(
        () => 'synced',
        (e: unknown) => `failed: ${String(e)}`,
      )
      expect(outcome).toBe('synced')
      expect(world.sync.states()[0]?.status).toBe('idle')
      expect([...localMessageIds(world.db, accountId, 'INBOX').values()]).toContain(
        'msg-9@example.org',
      )
      // The refused move is given up (after its retries) and the message shows where it is.
      for (let i = 0; i < 5 && pendingActionCount(world.db, accountId) > 0; i++)
        await world.sync.syncOnce(accountId)
      expect(pendingActionCount(world.db, accountId)).toBe(0)
      expect([...localMessageIds(world.db, accountId, 'INBOX').values()].sort()).toEqual([
        'msg-0@example.org',
        'msg-1@example.org',
        'msg-2@example.org',
        'msg-9@example.org',
      ])
    } finally {
      await world.close()
    }
  })
})
