import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FolderActions } from '../../../main/mail/actions/folder-actions'
import { ComposeService } from '../../../main/mail/compose/compose-service'
import { Uploads } from '../../../main/mail/compose/uploads'
import { messageDetail } from '../../../main/mail/read/read-ops'
import { useRealKeychain } from '../../support/keyring'
import { startDovecot, type Dovecot } from '../../support/dovecot'
import { makeTestCertificate } from '../../support/test-ca'
import {
  addTestAccount,
  imapsSettings,
  openSyncWorld,
  otherClient,
  serverMessageIds,
} from '../../support/sync-world'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
let dovecot: Dovecot
const cert = makeTestCertificate()

beforeAll(async () => {
  keyring = await useRealKeychain()
  dovecot = await startDovecot({
    certificate: cert,
    users: [{ name: 'dana', password: 'dana-password' }],
  })
})
afterAll(async () => {
  await dovecot?.stop()
  keyring?.stop()
})

const draft = (messageId: string, subject: string) =>
  `From: dana@example.test\r\nTo: eve@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${messageId}>\r\nDate: Tue, 3 Mar 2026 10:00:00 +0000\r\n\r\n${subject}\r\n`

describe('drafts in the Drafts folder', () => {
  it('replaces only the copies of the draft being edited, not a draft whose Message-ID contains its own', async () => {
    // Written by another client; IMAP's SEARCH HEADER matches a substring, so looking
    // for the copies of <7@host.example> also found <17@host.example> and deleted it.
    const other = await otherClient(dovecot, cert, 'dana', 'dana-password')
    try {
      await other.append('Drafts', draft('7@host.example', 'seven'), ['\\Draft'])
      await other.append('Drafts', draft('17@host.example', 'seventeen'), ['\\Draft'])
    } finally {
      await other.logout()
    }
    const world = await openSyncWorld()
    const service = new ComposeService({
      db: world.db,
      attachmentsDir: join(world.dir, 'attachments'),
      mail: { getMessage: async (id) => messageDetail(world.db, id) },
      accounts: world.accounts,
      send: null,
      credentials: world.accounts.credentials,
      folders: new FolderActions(world.db, world.accounts.credentials),
      uploads: new Uploads(join(world.dir, 'cache'), join(world.dir, 'attachments')),
      uploadDelayMs: 60_000,
    })
    try {
      const accountId = await addTestAccount(world, 'dana', imapsSettings(dovecot, cert, 'dana'))
      await world.sync.syncOnce(accountId)
      const seven = world.db
        .prepare<[], { id: number }>(`SELECT id FROM messages WHERE message_id = '7@host.example'`)
        .get()!.id
      const edited = await service.editDraftMessage(seven)
      service.save(edited.id, { subject: 'seven, edited' })
      await service.uploadNow(edited.id)
      expect(service.get(edited.id).uploadError).toBeNull()

      const onServer = async () => {
        const client = await otherClient(dovecot, cert, 'dana', 'dana-password')
        try {
          return [...(await serverMessageIds(client, 'Drafts')).values()].sort()
        } finally {
          await client.logout()
        }
      }
      expect(await onServer()).toEqual(['17@host.example', '7@host.example'])
      await service.discard(edited.id)
      expect(await onServer()).toEqual(['17@host.example'])
    } finally {
      await service.close()
      await world.close()
    }
  })
})
