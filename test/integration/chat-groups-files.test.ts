import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findChat } from '../../main/chat/store/chats'
import { chatHistory } from '../../main/chat/store/messages'
import { attachmentPath } from '../../main/mail/attachment-store'
import { befriend, chatProfile, count, PASSWORD, until, type ChatProfile } from '../support/chat'
import { useRealKeychain } from '../support/keyring'
import { MUC_DOMAIN, startProsody, type ProsodyServer } from '../support/prosody'
import { tempDir } from '../support/temp'

let server: ProsodyServer
let keychain: { stop: () => void }
let alice: ChatProfile
let bob: ChatProfile
let carol: ChatProfile

beforeAll(async () => {
  keychain = await useRealKeychain()
  server = await startProsody()
  for (const user of ['alice', 'bob', 'carol']) server.register(user, PASSWORD)
  alice = await chatProfile(server, 'alice')
  bob = await chatProfile(server, 'bob')
  carol = await chatProfile(server, 'carol')
  for (const p of [alice, bob, carol]) p.client.start()
  await until(
    () => [alice, bob, carol].every((p) => p.client.connection.status === 'online'),
    'all online',
  )
  await Promise.all([alice, bob, carol].map((p) => p.client.whenSynced()))
  // Contacts: their files are fetched as they arrive (carol stays a stranger to bob).
  await befriend(alice, bob)
})

afterAll(async () => {
  for (const p of [alice, bob, carol]) await p?.close()
  await server?.stop()
  keychain?.stop()
})

describe('file sharing through HTTP upload (XEP-0363)', () => {
  it('sends a file that arrives intact in the recipient’s attachment store', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17)
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    const file = join(tempDir(), 'holiday photos.bin')
    writeFileSync(file, bytes)
    const sent = await alice.client.sendFile(bob.jid, file)
    await alice.client.waitUntilSent(sent.messageId)
    await until(
      () =>
        count(bob.db, `SELECT count(*) AS n FROM chat_attachments WHERE state = 'stored'`) === 1,
      'the file in bob’s profile',
    )
    const row = bob.db
      .prepare('SELECT filename, sha256, size, url FROM chat_attachments')
      .get() as {
      filename: string
      sha256: string
      size: number
      url: string
    }
    expect(row).toMatchObject({ filename: 'holiday photos.bin', sha256, size: bytes.length })
    expect(row.url).toMatch(/^https:\/\/localhost:\d+\//)
    expect(readFileSync(attachmentPath(bob.profile.paths.attachments, sha256)).equals(bytes)).toBe(
      true,
    )
    // Downloaded into the profile, it is as private as everything else there (0600 in 0700).
    const stored = attachmentPath(bob.profile.paths.attachments, sha256)
    expect((statSync(stored).mode & 0o777).toString(8)).toBe('600')
    expect((statSync(dirname(stored)).mode & 0o777).toString(8)).toBe('700')
    // The sender keeps its own copy too, and both see it as a file message.
    expect(
      readFileSync(attachmentPath(alice.profile.paths.attachments, sha256)).equals(bytes),
    ).toBe(true)
    const chat = findChat(bob.db, bob.accountId, alice.jid)!
    const last = chatHistory(bob.db, chat.id, { limit: 1 })[0]!
    expect(last.attachments).toHaveLength(1)
  })

  it('leaves a stranger’s file on its server until the user asks for it', async () => {
    const fromStranger = join(tempDir(), 'free prize.bin')
    writeFileSync(fromStranger, randomBytes(4096))
    const strange = await carol.client.sendFile(bob.jid, fromStranger)
    await carol.client.waitUntilSent(strange.messageId)
    // A contact's file sent after it arrives and is fetched: the stranger's, earlier, was not.
    const fromAlice = join(tempDir(), 'from a friend.bin')
    writeFileSync(fromAlice, randomBytes(4096))
    await alice.client.sendFile(bob.jid, fromAlice)
    const state = (filename: string) =>
      (
        bob.db.prepare('SELECT state FROM chat_attachments WHERE filename = ?').get(filename) as
          { state: string } | undefined
      )?.state
    await until(() => state('from a friend.bin') === 'stored', 'the contact’s file fetched')
    expect(state('free prize.bin')).toBe('remote')
    // Asked for (the Download button), it comes.
    const { id } = bob.db
      .prepare('SELECT id FROM chat_attachments WHERE filename = ?')
      .get('free prize.bin') as { id: number }
    const sha256 = await bob.client.downloadAttachment(id)
    expect(readFileSync(attachmentPath(bob.profile.paths.attachments, sha256))).toEqual(
      readFileSync(fromStranger),
    )
    expect(state('free prize.bin')).toBe('stored')
  })
})

describe('group chat (MUC, XEP-0045) with three members', () => {
  const room = `planning@${MUC_DOMAIN}`

  it('joins, exchanges messages that each member stores once with the right nicknames, changes a nickname, leaves and catches up with history on rejoining', async () => {
    await alice.client.joinRoom(room, 'Alice')
    await bob.client.joinRoom(room, 'Bob')
    await carol.client.joinRoom(room, 'Carol')
    await until(() => alice.client.occupants(room).length === 3, 'three occupants')
    expect(alice.client.occupants(room)).toEqual(['Alice', 'Bob', 'Carol'])

    alice.client.sendText(room, 'hello room, this is alice')
    bob.client.sendText(room, 'bob here')
    carol.client.sendText(room, 'carol too')
    const roomLines = (p: ChatProfile) => {
      const chat = findChat(p.db, p.accountId, room)
      return chat
        ? chatHistory(p.db, chat.id, { limit: 1000 }).map(
            (m) => `${m.direction} ${m.sender}: ${m.body}`,
          )
        : []
    }
    await until(
      () => [alice, bob, carol].every((p) => roomLines(p).length === 3),
      'three messages everywhere',
    )
    for (const [p, nick] of [
      [alice, 'Alice'],
      [bob, 'Bob'],
      [carol, 'Carol'],
    ] as const) {
      const lines = roomLines(p)
      expect(lines.filter((l) => l.startsWith('out '))).toEqual(
        lines.filter((l) => l.includes(` ${nick}: `)),
      )
      expect(lines.map((l) => l.slice(l.indexOf(' ') + 1)).sort()).toEqual(
        ['Alice: hello room, this is alice', 'Bob: bob here', 'Carol: carol too'].sort(),
      )
    }
    await until(
      () => count(carol.db, `SELECT count(*) AS n FROM chat_messages WHERE state = 'queued'`) === 0,
      'echoes confirm',
    )

    bob.client.changeNick(room, 'Robert')
    await until(() => alice.client.occupants(room).includes('Robert'), 'the new nickname')
    bob.client.sendText(room, 'call me Robert')
    await until(
      () => roomLines(alice).includes('in Robert: call me Robert'),
      'a message under the new nickname',
    )
    expect(roomLines(bob)).toContain('out Robert: call me Robert')

    await carol.client.leaveRoom(room)
    await until(() => !alice.client.occupants(room).includes('Carol'), 'carol gone')
    alice.client.sendText(room, 'while carol was away')
    await until(() => roomLines(bob).includes('in Alice: while carol was away'), 'bob sees it')
    expect(roomLines(carol)).not.toContain('in Alice: while carol was away')
    await carol.client.joinRoom(room, 'Carol')
    await until(
      () => roomLines(carol).includes('in Alice: while carol was away'),
      'history on rejoining',
    )
    await new Promise((r) => setTimeout(r, 500))
    const lines = roomLines(carol)
    expect(new Set(lines).size).toBe(lines.length)
    expect(lines).toHaveLength(5)
  })
})
