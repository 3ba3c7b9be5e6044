import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChatService } from '../../main/chat/chat-service'
import { findChat } from '../../main/chat/store/chats'
import { chatHistory } from '../../main/chat/store/messages'
import type { ConnectionState } from '../../main/chat/types'
import type { XmppSession } from '../../main/chat/xmpp/session'
import { el } from '../../main/chat/xmpp/xml'
import { accountSecrets } from '../../main/keychain/account-secrets'
import { osKeychain } from '../../main/keychain/keychain'
import { openMailDb } from '../../main/mail/db/connection'
import { openProfile } from '../../main/profile/profile'
import { chatProfile, count, PASSWORD, rawSession, until, type ChatProfile } from '../support/chat'
import { startFakeXmpp } from '../support/fake-xmpp'
import { useRealKeychain } from '../support/keyring'
import { startProsody, type ProsodyServer } from '../support/prosody'
import { tempDir } from '../support/temp'

let server: ProsodyServer
let keychain: { stop: () => void }
let alice: ChatProfile
let bob: XmppSession

beforeAll(async () => {
  keychain = await useRealKeychain()
  server = await startProsody()
  for (const user of ['alice', 'bob', 'carol']) server.register(user, PASSWORD)
  alice = await chatProfile(server, 'alice', { autoDownloadBytes: 0 })
  alice.client.start()
  await until(() => alice.client.connection.status === 'online', 'alice online')
  await alice.client.whenSynced()
  bob = await rawSession(server, 'bob')
  bob.send(el('presence'))
})

afterAll(async () => {
  await bob?.close()
  await alice?.close()
  await server?.stop()
  keychain?.stop()
})

const bodies = () => {
  const chat = findChat(alice.db, alice.accountId, 'bob@localhost')
  return chat ? chatHistory(alice.db, chat.id, { limit: 100_000 }).map((m) => m.body) : []
}

describe('hostile input through a real server', () => {
  it('stores a 10 MB message whole and stays connected', async () => {
    const big = `${'lorem ipsum dolor sit amet, ü€ '.repeat(340_000)}END`
    expect(big.length).toBeGreaterThan(10_000_000)
    bob.send(el('message', { to: alice.jid, type: 'chat', id: 'big-1' }, el('body', {}, big)))
    bob.send(
      el(
        'message',
        { to: alice.jid, type: 'chat', id: 'after-big' },
        el('body', {}, 'after the big one'),
      ),
    )
    await until(
      () => bodies().includes('after the big one'),
      'the message after the big one',
      60_000,
    )
    const stored = alice.db
      .prepare(`SELECT body FROM chat_messages WHERE origin_id = 'big-1'`)
      .get() as { body: string }
    expect(stored.body.length).toBe(big.length)
    expect(stored.body === big).toBe(true)
    expect(alice.client.connection.status).toBe('online')
  }, 120_000)

  it('takes a flood of 10,000 presence updates in batches, and the next message still arrives', async () => {
    // bob lets alice see his presence.
    const asked = new Promise<void>((resolve) =>
      bob.events.on('stanza', (s) => {
        if (s.name === 'presence' && s.attrs.type === 'subscribe') resolve()
      }),
    )
    await alice.client.addContact('bob@localhost')
    await asked
    bob.send(el('presence', { to: alice.jid, type: 'subscribed' }))
    await until(() => alice.client.presenceOf('bob@localhost').show === 'online', 'bob’s presence')
    let batches = 0
    let seen = 0
    const off = alice.client.events.on('presence', ({ jids }) => {
      batches++
      seen += jids.length
    })
    for (let i = 0; i < 10_000; i++)
      bob.send(
        el('presence', {}, el('show', {}, i % 2 ? 'away' : 'dnd'), el('status', {}, `status ${i}`)),
      )
    bob.send(
      el(
        'message',
        { to: alice.jid, type: 'chat', id: 'after-flood' },
        el('body', {}, 'after the flood'),
      ),
    )
    await until(() => bodies().includes('after the flood'), 'the message after the flood', 60_000)
    await until(
      () => alice.client.presenceOf('bob@localhost').status === 'status 9999',
      'the last presence',
    )
    off()
    expect(alice.client.presenceOf('bob@localhost')).toMatchObject({ show: 'away', resources: 1 })
    expect(batches).toBeGreaterThan(0)
    expect(batches).toBeLessThan(1000) // batched: far fewer events than stanzas
    expect(seen).toBe(batches)
  }, 120_000)

  it('keeps control characters a contact sends, drops those XML cannot carry from our own, and names files safely', async () => {
    const tricky =
      'tab\there, CSI \u009b31m red, bidi \u202egnp.exe, zero\u200bwidth, <b>not html</b> & more'
    bob.send(el('message', { to: alice.jid, type: 'chat', id: 'tricky' }, el('body', {}, tricky)))
    const urls = [
      'https://localhost:1/share/..%2F..%2Fetc%2Fpasswd',
      'https://localhost:1/share/%E2%80%AEfdp.exe',
      'https://localhost:1/share/CON.txt',
      'https://localhost:1/share/.hidden',
      'javascript:alert(1)',
    ]
    urls.forEach((url, i) =>
      bob.send(
        el(
          'message',
          { to: alice.jid, type: 'chat', id: `file-${i}` },
          el('body', {}, url),
          el('x', { xmlns: 'jabber:x:oob' }, el('url', {}, url)),
        ),
      ),
    )
    await until(() => bodies().includes('javascript:alert(1)'), 'the file messages')
    expect(bodies()).toContain(tricky)
    const names = (
      alice.db.prepare('SELECT filename FROM chat_attachments ORDER BY id').all() as {
        filename: string
      }[]
    ).map((r) => r.filename)
    expect(names).toEqual(['passwd', 'fdp.exe', '_CON.txt', 'hidden', 'alert(1)'])
    await expect(
      alice.client.downloadAttachment(
        count(alice.db, `SELECT id AS n FROM chat_attachments WHERE url LIKE 'javascript:%'`),
      ),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })

    // Our own text with characters XML 1.0 forbids: sent without them, and the stream survives.
    const { messageId } = alice.client.sendText('bob@localhost', 'bell\u0007 and nul\u0000 here')
    const received = new Promise<string>((resolve) =>
      bob.events.on('stanza', (s) => {
        const body = s.childText('body')
        if (s.name === 'message' && body?.startsWith('bell')) resolve(body)
      }),
    )
    expect(await received).toBe('bell and nul here')
    await alice.client.waitUntilSent(messageId)
    expect(alice.client.connection.status).toBe('online')
  })

  it('ignores a forged archive result and a forged carbon from another user', async () => {
    const carol = await rawSession(server, 'carol')
    const forged = (wrapper: string, xmlns: string) =>
      el(
        'message',
        { to: alice.jid },
        el(
          wrapper,
          { xmlns, queryid: 'guess', id: 'fake-archive-id' },
          el(
            'forwarded',
            { xmlns: 'urn:xmpp:forward:0' },
            el(
              'message',
              { from: 'bob@localhost/phone', to: alice.jid, type: 'chat', id: `forged-${wrapper}` },
              el('body', {}, `forged ${wrapper}`),
            ),
          ),
        ),
      )
    carol.send(forged('result', 'urn:xmpp:mam:2'))
    carol.send(forged('received', 'urn:xmpp:carbons:2'))
    carol.send(
      el(
        'message',
        { to: alice.jid, type: 'chat', id: 'carol-real' },
        el('body', {}, 'carol, for real'),
      ),
    )
    await until(
      () =>
        count(
          alice.db,
          `SELECT count(*) AS n FROM chat_messages WHERE body = 'carol, for real'`,
        ) === 1,
      'carol’s message',
    )
    expect(
      count(alice.db, `SELECT count(*) AS n FROM chat_messages WHERE body LIKE 'forged%'`),
    ).toBe(0)
    await carol.close()
  })
})

describe('a server that sends broken streams', () => {
  it('survives malformed XML, a stream cut mid-stanza and forbidden characters: reconnects, stores every complete message once', async () => {
    const message = (id: string, body: string) =>
      `<message from='bob@localhost/x' to='alice@localhost/fake' type='chat' id='${id}'><body>${body}</body></message>`
    const fake = await startFakeXmpp({
      ca: server.ca,
      script(connection, index) {
        // index 0 is the login check when the account is added.
        if (index === 1)
          connection.write(
            message('m1', 'good one') +
              message('m2', 'good two') +
              `<message from='bob@localhost/x'><body>x</message>`,
          )
        if (index === 2)
          connection.write(
            message('m3', 'after malformed') +
              `<message from='bob@localhost/x' type='chat' id='half'><body>half a mess`,
          )
        if (index === 2) setTimeout(() => connection.cut(), 100)
        if (index === 3)
          connection.write(message('m4', 'before nul') + message('bad', 'nul &#0; here'))
        if (index === 4) connection.write(message('m1', 'good one') + message('m5', 'final'))
      },
    })
    const profile = openProfile(join(tempDir(), 'profile'))
    const db = openMailDb(profile.paths.database)
    const chat = new ChatService(db, profile.paths, accountSecrets(osKeychain(), profile.id), {
      backoff: { initialMs: 100, maxMs: 400 },
    })
    const account = await chat.addAccount({
      jid: 'alice@localhost',
      password: 'anything',
      server: `127.0.0.1:${fake.port}`,
      ca: readFileSync(server.ca.caFile, 'utf8'),
    })
    const client = chat.client(account.id)
    const states: ConnectionState[] = []
    client.events.on('state', (s) => states.push(s))
    client.start()
    const stored = () =>
      (db.prepare('SELECT body FROM chat_messages ORDER BY ord').all() as { body: string }[]).map(
        (r) => r.body,
      )
    await until(() => stored().includes('final'), 'the last message', 30_000)
    expect(stored()).toEqual(['good one', 'good two', 'after malformed', 'before nul', 'final'])
    const errors = states.flatMap((s) => (s.status === 'waiting' ? [s.error.code] : []))
    expect(errors).toEqual(['CHAT_PROTOCOL', 'CHAT_UNREACHABLE', 'CHAT_PROTOCOL'])
    expect(client.connection.status).toBe('online')
    await chat.close()
    db.close()
    profile.close()
    await fake.close()
  })
})
