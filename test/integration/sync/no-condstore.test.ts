import { describe, expect, it } from 'vitest'
import { seedMaildir } from '../../support/dovecot'
import { useMailServers } from '../../support/mail-servers'
import {
  localMessageIds,
  openSyncWorld,
  otherClient,
  realisticMessage,
  serverMessageIds,
} from '../../support/sync-world'

// An older server: no CONDSTORE, no QRESYNC (and so no MODSEQ, no VANISHED).
const servers = useMailServers({
  users: ['old'],
  imapCapability:
    'IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT THREAD=REFERENCES MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 SPECIAL-USE MOVE',
  postfix: false,
})
const { cert } = servers

describe('a server without CONDSTORE or QRESYNC', () => {
  it('still brings flags, new mail and expunges across, by full flag fetch and UID diff', async () => {
    seedMaildir(
      servers.dovecot,
      'old',
      [0, 1, 2, 3, 4].map((i) => ({ raw: realisticMessage(i) })),
    )
    const world = await openSyncWorld()
    try {
      const server = {
        host: '127.0.0.1',
        port: servers.dovecot.imapsPort,
        security: 'tls' as const,
        username: 'old',
        caFile: cert.caFile,
      }
      const { accountId } = await world.accounts.add({
        email: 'old@example.test',
        password: 'old-password',
        imap: server,
        smtp: server,
        verify: false,
      })
      await world.sync.syncOnce(accountId)
      const folder = world.db
        .prepare(`SELECT highest_modseq FROM remote_folders WHERE imap_path = 'INBOX'`)
        .get()
      expect(folder).toEqual({ highest_modseq: null }) // no MODSEQ from this server

      const other = await otherClient(servers.dovecot, cert, 'old', 'old-password')
      expect(other.capabilities.has('CONDSTORE')).toBe(false)
      await other.mailboxOpen('INBOX')
      await other.messageFlagsAdd('1', ['\\Flagged'], { uid: true })
      await other.messageDelete('2:3', { uid: true })
      await other.append('INBOX', realisticMessage(5))
      const [report] = await world.sync.syncOnce(accountId)
      expect(report).toMatchObject({ added: 1, removed: 2, flagsChanged: 1 })
      expect([...localMessageIds(world.db, accountId, 'INBOX').entries()].sort()).toEqual(
        [...(await serverMessageIds(other, 'INBOX')).entries()].sort(),
      )
      const flagged = world.db
        .prepare(`SELECT flagged FROM messages WHERE message_id = 'msg-0@example.org'`)
        .get()
      expect(flagged).toEqual({ flagged: 1 })
      await other.logout()
    } finally {
      await world.close()
    }
  })
})
