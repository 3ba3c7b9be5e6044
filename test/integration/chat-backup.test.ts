import { createHash } from 'node:crypto'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { restoreBackup } from '../../main/backup/restore/restore'
import { findChat } from '../../main/chat/store/chats'
import { chatHistory } from '../../main/chat/store/messages'
import { accountSecrets } from '../../main/keychain/account-secrets'
import { osKeychain } from '../../main/keychain/keychain'
import { attachmentPath } from '../../main/mail/attachment-store'
import { openServices } from '../../main/services'
import { backUp, setUpBackupKey } from '../support/backup-fixtures'
import { chatProfile, PASSWORD, until, type ChatProfile } from '../support/chat'
import { useRealKeychain } from '../support/keyring'
import { makePng } from '../support/png'
import { startProsody, type ProsodyServer } from '../support/prosody'
import { tempDir } from '../support/temp'

let keychain: { stop: () => void }
let server: ProsodyServer
let bob: ChatProfile

beforeAll(async () => {
  keychain = await useRealKeychain()
  server = await startProsody()
  for (const user of ['alice', 'bob']) server.register(user, PASSWORD)
  bob = await chatProfile(server, 'bob')
  bob.client.start()
  await until(() => bob.client.connection.status === 'online', 'bob online')
})

afterAll(async () => {
  await bob?.close()
  await server?.stop()
  keychain?.stop()
})

const bodies = (profile: { db: ChatProfile['db']; accountId: number }, peer: string) => {
  const chat = findChat(profile.db, profile.accountId, peer)
  return chat ? chatHistory(profile.db, chat.id, { limit: 10_000 }) : []
}

describe('chats in backups', () => {
  it('a profile with a chat account and chats → backup → keychain entry deleted, profile wiped → restore → the chats are back and the account signs in without being given its password', async () => {
    const profileDir = join(tempDir(), 'profile')
    // Alice's account is added as a user adds one: login checked, password into the real keychain.
    const alice = await chatProfile(server, 'alice', { dir: profileDir })
    alice.client.start()
    await until(() => alice.client.connection.status === 'online', 'alice online')
    await alice.client.whenSynced()
    const { accountId, jid } = alice
    const profileId = alice.profile.id

    // Chats both ways with bob, a contact, and a picture from him downloaded into alice's profile.
    await alice.client.addContact(bob.jid, 'Bob')
    for (let i = 0; i < 20; i++) {
      alice.client.sendText(bob.jid, `from alice ${i}`)
      bob.client.sendText(jid, `from bob ${i}`)
    }
    const picture = makePng(40, 30, [200, 30, 90])
    const pictureFile = join(tempDir(), 'sunset.png')
    writeFileSync(pictureFile, picture)
    await bob.client.sendFile(jid, pictureFile)
    const sha = createHash('sha256').update(picture).digest('hex')
    await until(
      () =>
        bodies(alice, bob.jid).filter((m) => m.direction === 'in').length === 21 &&
        bodies(alice, bob.jid).some((m) => m.attachments.some((a) => a.sha256 === sha)),
      'alice has every message and the picture',
    )
    await until(
      () => bodies(alice, bob.jid).every((m) => m.direction === 'in' || m.state !== 'queued'),
      'the server to have every message of alice’s',
    )
    const before = bodies(alice, bob.jid).map(({ body, direction, originId }) => ({
      body,
      direction,
      originId,
    }))
    expect(before).toHaveLength(41)
    await alice.close()

    // A backup, with its key kept by the user.
    const { key } = setUpBackupKey(profileDir)
    const dest = tempDir()
    const made = await backUp({ dir: profileDir, id: profileId }, key, dest)
    expect(made.accountSecrets).toBe(1)

    // Disaster: the keychain entry and the whole profile are gone.
    const secrets = accountSecrets(osKeychain(), profileId)
    secrets.delete(accountId, 'password')
    expect(secrets.get(accountId, 'password')).toBeNull()
    rmSync(profileDir, { recursive: true, force: true })
    // Bob writes meanwhile: the server keeps it for alice.
    bob.client.sendText(jid, 'while you were away')

    const restored = await restoreBackup({ file: made.path, key, profileDir })
    expect(restored.accountSecretsRestored).toBe(1)
    expect(secrets.get(accountId, 'password')).toBe(PASSWORD)

    // The app opens the restored profile: nobody types a password.
    const services = openServices(profileDir)
    try {
      await until(
        () => services.chat.connectionState(accountId).status === 'online',
        'the restored account to sign in on its own',
      )
      const chat = services.chat.listChats(accountId).find((c) => c.peer === bob.jid)
      expect(chat).toBeDefined()
      const after = () =>
        services.chat
          .history(chat?.id as number, { limit: 10_000 })
          .map(({ body, direction, originId }) => ({ body, direction, originId }))
      // Every chat message is back, in order, once, and what came meanwhile arrives.
      await until(
        () => after().some((m) => m.body === 'while you were away'),
        'the message sent while away',
      )
      expect(after().slice(0, before.length)).toEqual(before)
      expect(after()).toHaveLength(before.length + 1)
      // The picture is back in the attachment store.
      expect(
        readFileSync(attachmentPath(join(profileDir, 'attachments'), sha)).equals(picture),
      ).toBe(true)
      // And the account works: a message to bob gets there.
      services.chat.sendText(accountId, bob.jid, 'back from the backup')
      await until(
        () => bodies(bob, jid).some((m) => m.body === 'back from the backup'),
        'bob to receive a message from the restored profile',
      )
      expect(existsSync(join(profileDir, 'cache', 'chat-uploads'))).toBe(false)
    } finally {
      await services.close()
    }
  }, 180_000)
})
