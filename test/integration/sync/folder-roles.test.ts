import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { FolderActions } from '../../../main/mail/actions/folder-actions'
import { SendService } from '../../../main/mail/send/send-service'
import { listFolders } from '../../../main/mail/store/folders'
import { remoteFolderById } from '../../../main/mail/store/remote-folders'
import { runCli } from '../../support/cli'
import { seedMaildir } from '../../support/dovecot'
import { useMailServers } from '../../support/mail-servers'
import { tempDir } from '../../support/temp'
import {
  imapsSettings,
  openSyncWorld,
  otherClient,
  realisticMessage,
  serverMessageIds,
  waitFor,
} from '../../support/sync-world'

// Besides Sent, Drafts, Trash, Junk and Archive, a second folder the server
// flags for four of those roles, as after a migration between servers.
const servers = useMailServers({
  users: ['alice', 'bob'],
  mailboxes: [
    { name: 'Sent Messages', specialUse: '\\Sent' },
    { name: 'Deleted Messages', specialUse: '\\Trash' },
    { name: 'INBOX/Drafts', specialUse: '\\Drafts' },
    { name: 'Aarsarkiv', specialUse: '\\Archive' },
  ],
})
const { cert } = servers

/**
 * The one folder per role this server's folders give: flagged by the server
 * first, fewest levels below INBOX, then the name in character-code order.
 */
const EXPECTED_ROLES = {
  INBOX: '\\Inbox',
  Sent: '\\Sent',
  Drafts: '\\Drafts',
  'Deleted Messages': '\\Trash',
  Junk: '\\Junk',
  Aarsarkiv: '\\Archive',
}

const smtp = () => ({
  host: '127.0.0.1',
  port: servers.postfix.submissionPort,
  security: 'starttls' as const,
  username: 'alice',
  caFile: cert.caFile,
})

/** Every folder of the profile that holds a role, by its server path. */
function rolesIn(db: Database.Database): Record<string, string> {
  return Object.fromEntries(
    db
      .prepare<[], { imap_path: string | null; path: string; special_use: string }>(
        `SELECT r.imap_path, f.path, f.special_use FROM folders f
           LEFT JOIN remote_folders r ON r.folder_id = f.id
          WHERE f.special_use IS NOT NULL`,
      )
      .all()
      .map((r) => [r.imap_path ?? `(no server folder) ${r.path}`, r.special_use]),
  )
}

describe('two server folders flagged for one role', () => {
  it('one folder holds each role, and the Sent copy, Drafts, Trash and Junk all use that one', async () => {
    // A folder under a parent the server does not list as selectable: the parent is no Junk folder.
    seedMaildir(servers.dovecot, 'alice', [{ raw: realisticMessage(1) }], 'Spam/2024')
    seedMaildir(servers.dovecot, 'alice', [{ raw: realisticMessage(0) }])
    const world = await openSyncWorld()
    try {
      const { accountId } = await world.accounts.add({
        email: 'alice@example.test',
        password: 'alice-password',
        imap: imapsSettings(servers.dovecot, cert),
        smtp: smtp(),
      })
      // Sent before the first sync: the copy goes where the sync will put the role.
      const send = new SendService(world.db, world.accounts.credentials)
      const { messageId } = await send.send(accountId, {
        to: ['bob@example.test'],
        subject: 'Where does my copy go',
        text: 'to one Sent folder',
      })
      await send.flush()
      expect(send.outbox()).toEqual([])

      await world.sync.syncOnce(accountId)
      expect(rolesIn(world.db)).toEqual(EXPECTED_ROLES)
      const tree = listFolders(world.db).filter((f) => f.specialUse !== null)
      expect(tree.map((f) => f.specialUse).sort()).toEqual(Object.values(EXPECTED_ROLES).sort())

      const server = await otherClient(servers.dovecot, cert)
      try {
        expect([...(await serverMessageIds(server, 'Sent')).values()]).toEqual([
          messageId.slice(1, -1),
        ])
        expect((await serverMessageIds(server, 'Sent Messages')).size).toBe(0)

        // Delete moves to the Trash the folder list shows.
        const inbox = world.db
          .prepare<[string], { id: number }>('SELECT id FROM messages WHERE message_id = ?')
          .get('msg-0@example.org')!
        world.sync.delete([inbox.id])
        await waitFor(
          async () => (await serverMessageIds(server, 'Deleted Messages')).size === 1,
          10_000,
          100,
        )
        expect((await serverMessageIds(server, 'Trash')).size).toBe(0)
      } finally {
        await server.logout()
      }

      // Drafts and moves to Junk or Archive find the same folders.
      const folders = new FolderActions(world.db, world.accounts.credentials)
      const pathOf = async (role: '\\Drafts' | '\\Junk' | '\\Archive') =>
        remoteFolderById(world.db, await folders.roleFolder(accountId, role))?.imapPath
      expect(await pathOf('\\Drafts')).toBe('Drafts')
      expect(await pathOf('\\Junk')).toBe('Junk')
      expect(await pathOf('\\Archive')).toBe('Aarsarkiv')
    } finally {
      await world.close()
    }
  })

  it('gives a role to the same folder whatever the language Cairn runs in', async () => {
    const profile = join(tempDir('cairn-roles-'), 'profile')
    const add = await runCli(
      [
        'account',
        'add',
        '--profile',
        profile,
        '--email',
        'alice@example.test',
        '--password-stdin',
        '--imap',
        `imaps://127.0.0.1:${servers.dovecot.imapsPort}`,
        '--smtp',
        `smtp://127.0.0.1:${servers.postfix.submissionPort}`,
        '--user',
        'alice',
        '--ca',
        cert.caFile,
      ],
      { input: 'alice-password\n' },
    )
    expect(add.code).toBe(0)
    // Danish sorts "Aa" as "Å", after "Z": a collation-based choice picked "Archive" there.
    for (const locale of ['da_DK.UTF-8', 'en_US.UTF-8']) {
      const sync = await runCli(['sync', '--profile', profile, '--once'], {
        env: { LANG: locale, LC_ALL: locale },
      })
      expect(sync.code).toBe(0)
      const db = new Database(join(profile, 'mail.sqlite'), { readonly: true })
      try {
        expect(rolesIn(db)).toEqual(EXPECTED_ROLES)
      } finally {
        db.close()
      }
    }
  })
})
