import { createHash, X509Certificate } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { findChat } from '../../main/chat/store/chats'
import { chatHistory } from '../../main/chat/store/messages'
import { el } from '../../main/chat/xmpp/xml'
import {
  createServiceContext,
  type HostAdapter,
  type OwnedServiceContext,
} from '../../main/ipc/context'
import type { ChatMessageItem, EventName, EventPayloads } from '../../main/ipc/contract'
import { createRouter } from '../../main/ipc/router'
import { createUiHandler } from '../../main/ipc/ui-handler'
import { accountSecrets } from '../../main/keychain/account-secrets'
import { osKeychain } from '../../main/keychain/keychain'
import { openServices, type CairnServices } from '../../main/services'
import { chatProfile, PASSWORD, rawSession, until, type ChatProfile } from '../support/chat'
import { useRealKeychain } from '../support/keyring'
import { makePng } from '../support/png'
import { startProsody, type ProsodyServer } from '../support/prosody'
import { tempDir } from '../support/temp'

let keychain: { stop: () => void }
let server: ProsodyServer
let bob: ChatProfile
let services: CairnServices | undefined
let ctx: OwnedServiceContext | undefined

beforeAll(async () => {
  keychain = await useRealKeychain()
  server = await startProsody()
  for (const user of ['alice', 'bob', 'carol']) server.register(user, PASSWORD)
  bob = await chatProfile(server, 'bob')
  bob.client.start()
  await until(() => bob.client.connection.status === 'online', 'bob online')
})

afterAll(async () => {
  await bob?.close()
  await server?.stop()
  keychain?.stop()
})

afterEach(async () => {
  ctx?.close()
  await services?.close()
  services = ctx = undefined
})

/** Real services for a profile, served through the one router, as both transports do. */
function open(profileDir: string, host: HostAdapter = {}) {
  services = openServices(profileDir)
  ctx = createServiceContext(services, host)
  const router = createRouter(ctx, { transport: 'test', log: () => undefined })
  const events: { event: string; payload: unknown }[] = []
  router.subscribe((event, payload) => events.push({ event, payload }))
  const call = async <T = unknown>(method: string, input: unknown): Promise<T> => {
    const envelope = await router.call(method, input)
    if (!envelope.ok) throw Object.assign(new Error(envelope.error.message), envelope.error)
    return envelope.value as T
  }
  const waitFor = <E extends EventName>(name: E, test: (p: EventPayloads[E]) => boolean) =>
    until(
      () => events.some((e) => e.event === name && test(e.payload as EventPayloads[E])),
      `a ${name} event`,
    )
  return { router, call, events, waitFor, services, ctx: ctx as OwnedServiceContext }
}

const fingerprint = () => new X509Certificate(readFileSync(server.ca.certFile)).fingerprint256

/** Alice's account added through the contract: refused first, then trusted by its fingerprint. */
async function addAlice(call: ReturnType<typeof open>['call']): Promise<number> {
  const answer = await call<{ status: string; account?: { id: number } }>('chat.account.add', {
    jid: 'alice@localhost',
    password: PASSWORD,
    server: server.server,
    trustFingerprint: fingerprint(),
  })
  expect(answer.status).toBe('ok')
  return answer.account?.id as number
}

describe('chat through the service contract (real Prosody, real keychain)', () => {
  it('never trusts a certificate silently: the answer shows it, nothing is stored until the user trusts it; then the account connects', async () => {
    const { call, waitFor, services } = open(tempDir())
    const first = await call<{ status: string; certificate: Record<string, string> }>(
      'chat.account.add',
      { jid: 'alice@localhost', password: PASSWORD, server: server.server },
    )
    expect(first.status).toBe('untrusted')
    expect(first.certificate).toMatchObject({
      fingerprint: fingerprint(),
      subject: expect.stringContaining('CN=localhost'),
      issuer: expect.stringContaining('Cairn test CA'),
      host: '127.0.0.1',
    })
    expect(await call('chat.accounts', {})).toEqual([])
    // A fingerprint other than the server's is no trust at all.
    const wrong = await call<{ status: string }>('chat.account.add', {
      jid: 'alice@localhost',
      password: PASSWORD,
      server: server.server,
      trustFingerprint: 'AA:'.repeat(31) + 'AA',
    })
    expect(wrong.status).toBe('untrusted')
    expect(await call('chat.accounts', {})).toEqual([])

    const id = await addAlice(call)
    await waitFor('chat.state', (s) => s.accountId === id && s.status === 'online')
    const [account] = await call<{ jid: string; server: string; connection: { status: string } }[]>(
      'chat.accounts',
      {},
    )
    expect(account).toMatchObject({
      jid: 'alice@localhost',
      server: server.server,
      connection: { status: 'online' },
    })
    // The password went to the keychain only.
    expect(accountSecrets(osKeychain(), services.profile.id).get(id, 'password')).toBe(PASSWORD)
  })

  it('sends text and files, reads pages with long bodies cut, finds chats beside mail, serves pictures only as pictures', async () => {
    const profileDir = tempDir()
    const { call, waitFor, ctx } = open(profileDir)
    const id = await addAlice(call)
    await waitFor('chat.state', (s) => s.accountId === id && s.status === 'online')
    const chat = await call<{ id: number; peer: string }>('chat.open', {
      accountId: id,
      jid: ' Bob@LOCALHOST ',
    })
    expect(chat.peer).toBe('bob@localhost')
    // Contacts: delivery receipts and shared files come only from them. Each side adds the other.
    await call('chat.contact.add', { accountId: id, jid: 'bob@localhost' })
    await bob.client.addContact('alice@localhost')

    // Text, and its ticks as events.
    const long = `${'word '.repeat(20_000)}ZEBRA`
    const sent = await call<{ messageId: number }>('chat.send', { chatId: chat.id, text: long })
    await waitFor(
      'chat.messageState',
      (e) => e.messageId === sent.messageId && e.state === 'delivered',
    )
    expect(
      chatHistory(bob.db, findChat(bob.db, bob.accountId, 'alice@localhost')?.id as number, {
        limit: 10,
      })[0]?.body,
    ).toBe(long)
    const [page] = await call<ChatMessageItem[]>('chat.history', { chatId: chat.id, limit: 50 })
    expect(page?.body.length).toBe(4_000)
    expect(page?.bodyLength).toBe(long.length)
    const rest = await call<{ text: string; total: number }>('chat.text', {
      messageId: sent.messageId,
      offset: 4_000,
      length: 1_000_000,
    })
    expect(page?.body + rest.text).toBe(long)
    expect(
      (await call<{ hits: unknown[] }>('search.all', { query: 'zebra', limit: 10 })).hits.length,
    ).toBe(1)

    // A file handed over in chunks (the browser build's file input), then sent over HTTP upload.
    const picture = makePng(64, 48, [10, 120, 90])
    const begun = await call<{ fileId: string }>('chat.file.begin', {
      name: '../../evil/photo.png',
      size: picture.length,
    })
    const half = Math.ceil(picture.length / 2)
    await expect(
      call('chat.file.chunk', {
        fileId: begun.fileId,
        offset: half,
        data: picture.subarray(half).toString('base64'),
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(
      call('chat.file.send', { chatId: chat.id, fileId: begun.fileId }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    for (const offset of [0, half])
      await call('chat.file.chunk', {
        fileId: begun.fileId,
        offset,
        data: picture.subarray(offset, offset + half).toString('base64'),
      })
    const staged = join(profileDir, 'cache', 'chat-uploads')
    const [stagedFile] = readdirSync(staged)
    expect(statSync(join(staged, stagedFile as string)).mode & 0o777).toBe(0o600)
    await call('chat.file.send', { chatId: chat.id, fileId: begun.fileId })
    // Sent once: the copy in the cache is gone, and the id no longer names a file.
    expect(readdirSync(staged)).toEqual([])
    await expect(
      call('chat.file.send', { chatId: chat.id, fileId: begun.fileId }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    })
    const sha = createHash('sha256').update(picture).digest('hex')
    await until(
      () =>
        chatHistory(bob.db, findChat(bob.db, bob.accountId, 'alice@localhost')?.id as number, {
          limit: 10,
        }).some((m) => m.attachments.some((a) => a.sha256 === sha && a.filename === 'photo.png')),
      'bob to receive the picture intact, under a plain name',
    )

    // Bob sends a "picture" that is really a web page: listed as a file, never served as an image.
    const fake = join(tempDir(), 'not really.png')
    writeFileSync(fake, '<html><script>alert(1)</script></html>')
    await bob.client.sendFile('alice@localhost', fake)
    let items: ChatMessageItem[] = []
    for (let tries = 0; tries < 300; tries++) {
      items = await call<ChatMessageItem[]>('chat.history', { chatId: chat.id, limit: 50 })
      const received = items
        .flatMap((m) => m.attachments)
        .find((a) => a.filename === 'not really.png')
      if (received?.state === 'stored') break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const attachments = items.flatMap((m) => m.attachments)
    const mine = attachments.find((a) => a.filename === 'photo.png')
    const theirs = attachments.find((a) => a.filename === 'not really.png')
    expect(mine).toMatchObject({
      image: true,
      state: 'stored',
      host: expect.stringMatching(/^localhost:\d+$/),
    })
    expect(theirs).toMatchObject({ image: true, state: 'stored' })
    // The page gets the app's copy (viewUrl), not the remote address, for what it shows.
    expect(Object.keys(mine ?? {})).not.toContain('url')

    const origin = 'http://127.0.0.1:1'
    const ui = createUiHandler({
      rendererDir: tempDir(),
      origin,
      views: ctx.mailViews,
      chatFiles: ctx.chatFiles,
    })
    const get = (path: string) => ui(new Request(origin + path))
    const image = await get(mine?.viewUrl as string)
    expect(image.status).toBe(200)
    expect(image.headers.get('content-type')).toBe('image/png')
    expect(image.headers.get('content-security-policy')).toContain('sandbox')
    expect(image.headers.get('x-content-type-options')).toBe('nosniff')
    expect(Buffer.from(await image.arrayBuffer()).equals(picture)).toBe(true)
    expect((await get(theirs?.viewUrl as string)).status).toBe(404)
    const download = await get(`${theirs?.viewUrl as string}?download=1`)
    expect(download.status).toBe(200)
    expect(download.headers.get('content-type')).toBe('application/octet-stream')
    expect(download.headers.get('content-disposition')).toBe(
      `attachment; filename="not really.png"; filename*=UTF-8''not%20really.png`,
    )
    for (const path of [
      '/chat/file/AAAAAAAAAAAAAAAAAAAAAA',
      '/chat/file/1',
      '/chat/file',
      '/chat/other/x',
    ])
      expect((await get(path)).status, path).toBe(404)
    // The browser build saves through its own download of the app's copy.
    expect(await call('chat.attachment.save', { attachmentId: theirs?.id })).toEqual({
      downloadUrl: `${theirs?.viewUrl as string}?download=1`,
    })
  })

  it('notifies through the host with plain text only, opens the chat when clicked, and says nothing for our own messages', async () => {
    const shown: { title: string; body: string; click: () => void }[] = []
    const { call, waitFor, events } = open(tempDir(), {
      notify: (notice, onClick) => {
        shown.push({ ...notice, click: onClick })
        return true
      },
    })
    const id = await addAlice(call)
    await waitFor('chat.state', (s) => s.accountId === id && s.status === 'online')
    const info = await call<{ capabilities: { systemNotifications: boolean } }>('app.info', {})
    expect(info.capabilities.systemNotifications).toBe(true)
    const carol = await rawSession(server, 'carol')
    carol.send(
      el(
        'message',
        { to: 'alice@localhost', type: 'chat', id: 'n1' },
        el('body', {}, '<b>Hi</b>\u202e & \u0085bye\nsee you'),
      ),
    )
    // (The account's archive from earlier tests arrives too: the live message is carol's.)
    const live = (e: EventPayloads['chat.message']) =>
      e.accountId === id && e.direction === 'in' && e.via === 'live'
    await waitFor('chat.message', live)
    const incoming = events.find(
      (e) => e.event === 'chat.message' && live(e.payload as EventPayloads['chat.message']),
    )?.payload as EventPayloads['chat.message']
    const notice = await call<{ shown: boolean; chatId: number; title: string; body: string }>(
      'chat.notify',
      {
        messageId: incoming.messageId,
      },
    )
    expect(notice).toEqual({
      shown: true,
      chatId: incoming.chatId,
      title: 'carol@localhost',
      body: '‹b›Hi‹/b› + bye see you',
    })
    expect(shown).toHaveLength(1)
    shown[0]?.click()
    await waitFor('app.command', (c) => c.command === 'open-chat' && c.chatId === incoming.chatId)

    const chat = await call<{ id: number }>('chat.open', { accountId: id, jid: 'carol@localhost' })
    const own = await call<{ messageId: number }>('chat.send', { chatId: chat.id, text: 'mine' })
    expect(await call('chat.notify', { messageId: own.messageId })).toBeNull()
    await carol.close()
  })

  it('refuses what the renderer must not send: a message too long for any server, a chunk that is not base64, paths', async () => {
    const { router } = open(tempDir())
    const refused = async (method: string, input: unknown) => {
      const envelope = await router.call(method, input)
      expect(envelope.ok, method).toBe(false)
      return envelope.ok ? '' : envelope.error.code
    }
    expect(await refused('chat.send', { chatId: 1, text: 'x'.repeat(256_001) })).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await refused('chat.file.chunk', { fileId: 'x', offset: 0, data: '<script>' })).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await refused('chat.file.send', { chatId: 1, path: '/etc/passwd' })).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await refused('chat.file.begin', { name: 'big.iso', size: 200 * 1024 * 1024 })).toBe(
      'INVALID_ARGUMENT',
    )
    // No picker in this host: the renderer uses its file input instead.
    expect(await router.call('chat.file.pick', {})).toEqual({ ok: true, value: null })
  })

  it('an account whose password the keychain lost says so, and takes it again (checked first)', async () => {
    const profileDir = tempDir()
    let opened = open(profileDir)
    const id = await addAlice(opened.call)
    const profileId = opened.services.profile.id
    ctx?.close()
    await services?.close()
    services = ctx = undefined
    accountSecrets(osKeychain(), profileId).delete(id, 'password')

    opened = open(profileDir)
    const [account] = await opened.call<
      { connection: { status: string; error?: { code: string } } }[]
    >('chat.accounts', {})
    expect(account?.connection).toMatchObject({ status: 'failed', error: { code: 'KEY_MISSING' } })
    await expect(
      opened.call('chat.account.update', { accountId: id, password: 'wrong password' }),
    ).rejects.toMatchObject({ code: 'CHAT_AUTH_FAILED' })
    expect(accountSecrets(osKeychain(), profileId).get(id, 'password')).toBeNull()
    const answer = await opened.call<{ status: string }>('chat.account.update', {
      accountId: id,
      password: PASSWORD,
    })
    expect(answer.status).toBe('ok')
    await opened.waitFor('chat.state', (s) => s.accountId === id && s.status === 'online')
    expect(accountSecrets(osKeychain(), profileId).get(id, 'password')).toBe(PASSWORD)
    expect(existsSync(profileDir)).toBe(true)
  })
})
