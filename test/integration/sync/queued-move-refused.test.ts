import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useRealKeychain } from '../../support/keyring'
import { ensureMaildir, seedMaildir, startDovecot, type Dovecot } from '../../support/dovecot'
import { makeTestCertificate } from '../../support/test-ca'
import {
  imapsSettings,
  localMessageIds,
  openSyncWorld,
  otherClient,
  realisticMessage,
} from '../../support/sync-world'
import { moveLocally, pendingActionCount } from '../../../main/mail/sync/local-actions'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
let dovecot: Dovecot
const cert = makeTestCertificate()

beforeAll(async () => {
  keyring = await useRealKeychain()
  dovecot = await startDovecot({
    certificate: cert,
    users: [{ name: 'refused', password: 'refused-password' }],
  })
})
afterAll(async () => {
  await dovecot?.stop()
  keyring?.stop()
})

describe('a queued move the server refuses (its target folder was deleted elsewhere)', () => {
  it('does not stop the account from syncing, and the message ends up where the server has it', async () => {
    seedMaildir(
      dovecot,
      'refused',
      [0, 1, 2].map((i) => ({ raw: realisticMessage(i) })),
    )
    ensureMaildir(dovecot, 'refused', 'Projects')
    const world = await openSyncWorld()
    try {
      const settings = imapsSettings(dovecot, cert, 'refused')
      const { accountId } = await world.accounts.add({
        email: 'refused@example.test',
        password: 'refused-password',
        imap: settings,
        smtp: settings,
        verify: false,
      })
      await world.sync.syncOnce(accountId)
      const projects = world.db
        .prepare<[], { folder_id: number }>(
          `SELECT folder_id FROM remote_folders WHERE imap_path = 'Projects'`,
        )
        .get()!.folder_id
      const moved = world.db
        .prepare<[], { id: number }>(
          `SELECT id FROM messages WHERE message_id = 'msg-1@example.org'`,
        )
        .get()!.id
      // The user files a message in Projects; before that reaches the server,
      // another client deletes Projects, and new mail arrives.
      moveLocally(world.db, [moved], projects)
      const other = await otherClient(dovecot, cert, 'refused', 'refused-password')
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
