import fc from 'fast-check'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect as connectTcp } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { Envelope, MessageView } from '../../main/ipc/contract'
import { startWebHost, type WebHost } from '../../main/ipc/web-server'
import { openServices, type CairnServices } from '../../main/services'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { tempDir } from '../support/temp'

const rendererDir = join(import.meta.dirname, '..', '..', 'out', 'renderer')
let host: WebHost | undefined
let services: CairnServices | undefined

afterEach(async () => {
  await host?.close()
  await services?.close()
  host = undefined
  services = undefined
})

async function start(profileDir = tempDir()) {
  const log: string[] = []
  services = openServices(profileDir)
  host = await startWebHost({ services, rendererDir, log: (line) => log.push(line) })
  const url = new URL(host.url)
  return {
    host,
    services,
    log,
    token: new URLSearchParams(url.hash.slice(1)).get('token') as string,
    origin: url.origin,
  }
}

function connect(
  url: string,
  origin: string,
  headers: Record<string, string> = {},
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin, headers })
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

/** A client of the contract over the socket, as renderer/bridge/websocket.ts is. */
function client(ws: WebSocket) {
  let next = 1
  return <T>(method: unknown, input: unknown): Promise<Envelope<T>> =>
    new Promise((resolve) => {
      const id = next++
      const onMessage = (data: WebSocket.RawData) => {
        const reply = JSON.parse(data.toString()) as { id?: number; envelope?: Envelope<T> }
        if (reply.id !== id) return
        ws.off('message', onMessage)
        resolve(reply.envelope as Envelope<T>)
      }
      ws.on('message', onMessage)
      ws.send(JSON.stringify({ id, method, input }))
    })
}

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      )
    })
      .on('error', reject)
      .end()
  })
}

/** One request written byte for byte (no client-side checks), answered with its status code. */
function raw(port: number, target: string, hostHeader = `127.0.0.1:${port}`): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no answer within 5 s to ${JSON.stringify(target.slice(0, 200))}`))
    }, 5_000)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => undefined) // a reset after the answer is fine
    socket.on('close', () => {
      clearTimeout(timer)
      const head = Buffer.concat(chunks).toString('latin1')
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]
      if (status) resolve(Number(status))
      else
        reject(
          new Error(
            `no HTTP answer to ${JSON.stringify(target.slice(0, 200))}: ${JSON.stringify(head.slice(0, 100))}`,
          ),
        )
    })
    socket.write(
      Buffer.from(
        `GET ${target} HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`,
        'utf8',
      ),
    )
  })
}

describe('browser build host', () => {
  it('answers contract calls over the socket with the right token and origin', async () => {
    const { host, token, origin } = await start()
    const ws = await connect(`ws://127.0.0.1:${host.port}/ws?token=${token}`, origin)
    const reply = new Promise<unknown>((resolve) =>
      ws.once('message', (data) => resolve(JSON.parse(data.toString()))),
    )
    ws.send(JSON.stringify({ id: 7, method: 'mail.overview', input: {} }))
    expect(await reply).toEqual({ id: 7, envelope: { ok: true, value: { messageCount: 0 } } })
    ws.close()
  })

  it('refuses a wrong or missing token, a foreign origin and a foreign Host', async () => {
    const { host, token, origin } = await start()
    const url = `ws://127.0.0.1:${host.port}/ws?token=${token}`
    await expect(connect(`ws://127.0.0.1:${host.port}/ws?token=wrong`, origin)).rejects.toThrow(
      'HTTP 403',
    )
    await expect(connect(`ws://127.0.0.1:${host.port}/ws`, origin)).rejects.toThrow('HTTP 403')
    await expect(connect(url, 'http://evil.example')).rejects.toThrow('HTTP 403')
    await expect(connect(url, origin, { Host: `evil.example:${host.port}` })).rejects.toThrow(
      'HTTP 403',
    )
  })

  it('serves the renderer with the app CSP as a header, and nothing outside it', async () => {
    const { host } = await start()
    const index = await get(host.port, '/')
    expect(index.status).toBe(200)
    const csp = String(index.headers['content-security-policy'])
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    // The app's own pages never load remote images (only a mail frame may, when allowed).
    expect(csp).toMatch(/img-src 'self' data:(;|$)/)
    expect(csp).not.toMatch(/https?:/)
    expect(index.headers['x-content-type-options']).toBe('nosniff')
    expect(index.body.toString()).not.toContain('Content-Security-Policy" content')
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/assets/../../package.json'])
      expect((await get(host.port, path)).status, path).toBe(404)
    expect(await raw(host.port, '/..%2f..%2fpackage.json')).toBe(400)
  })

  it('answers a malformed escape with 400 and keeps serving', async () => {
    const { host } = await start()
    expect(await raw(host.port, '/%E0%A4%A')).toBe(400)
    expect(await raw(host.port, '/mail/%E0%A4%A/frame')).toBe(400)
    expect((await get(host.port, '/')).status).toBe(200)
  })

  it('refuses requests for another host name (a DNS-rebound page cannot read it)', async () => {
    const { host } = await start()
    expect(await raw(host.port, '/', `evil.example:${host.port}`)).toBe(421)
    expect(await raw(host.port, '/', `localhost:${host.port}`)).toBe(421)
    expect(await raw(host.port, '/', `127.0.0.1:${host.port}`)).toBe(200)
  })

  it('answers 1,000 random and hostile paths with 2xx–4xx, never hangs or falls over, and still serves', async () => {
    const { host, token, origin } = await start()
    const piece = fc.oneof(
      fc.constantFrom(
        '/',
        '//',
        '.',
        '..',
        '%',
        '%%',
        '%E0',
        '%E0%A4%A',
        '%A4',
        '%2e',
        '%2e%2e',
        '%2f',
        '%2F',
        '%5c',
        '\\',
        '%00',
        '%ff',
        '%C0%AF',
        '%zz',
        '?',
        '#',
        ';',
        '&',
        '=',
        'index.html',
        'assets',
        'mail',
        'frame',
        'inline',
        'ws',
        '~',
        '"',
        '<',
        '>',
        '{',
        '|',
        '^',
        '`',
        ' ',
        '\t',
        'é',
        '\u{1F600}',
        '\u0001',
        '\u007f',
        'package.json',
        '..%2f',
        '%252e%252e',
      ),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: 'binary', maxLength: 6 }),
      fc.stringMatching(/^%[0-9A-Fa-f]{0,2}$/),
      fc.integer({ min: 0, max: 2 ** 53 }).map(String),
    )
    const path = fc.oneof(
      { weight: 8, arbitrary: fc.array(piece, { maxLength: 12 }).map((p) => `/${p.join('')}`) },
      { weight: 1, arbitrary: fc.array(piece, { maxLength: 6 }).map((p) => p.join('')) },
      {
        weight: 1,
        arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => `/${'a/'.repeat(n / 2)}`),
      },
    )
    const fixed = [
      '/%E0%A4%A',
      '*',
      'http://evil.example/',
      '//evil.example/x',
      '/\\..\\package.json',
      '/index.html%00.png',
      `/${'%'.repeat(5000)}`,
      '/mail/x/frame',
      '/mail//frame',
      '/mail/../index.html',
      '/mail/AAAAAAAAAAAAAAAAAAAAAA/inline/1',
      '/mail/AAAAAAAAAAAAAAAAAAAAAA/inline/99999999999999999999',
    ]
    const paths = [...fixed, ...fc.sample(path, { numRuns: 1000 - fixed.length, seed: 7 })].map(
      (p) => p.replace(/[\r\n]/g, ''),
    )
    expect(paths).toHaveLength(1000)
    const statuses = new Map<number, number>()
    for (let i = 0; i < paths.length; i += 20) {
      const batch = paths.slice(i, i + 20)
      const answers = await Promise.all(batch.map((p) => raw(host.port, p)))
      answers.forEach((status, j) => {
        expect(status, JSON.stringify(batch[j])).toBeGreaterThanOrEqual(200)
        expect(status, JSON.stringify(batch[j])).toBeLessThan(500)
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
      })
    }
    // The mix reached the handler's own answers, not only the HTTP parser's.
    expect(statuses.get(400)).toBeGreaterThan(0)
    expect(statuses.get(404)).toBeGreaterThan(0)
    expect((await get(host.port, '/')).status).toBe(200)
    const ws = await connect(`ws://127.0.0.1:${host.port}/ws?token=${token}`, origin)
    expect(await client(ws)('mail.overview', {})).toEqual({ ok: true, value: { messageCount: 0 } })
    ws.close()
  })

  it('refuses bad calls over the socket with coded errors, logged, and runs nothing', async () => {
    const profileDir = tempDir()
    const mbox = join(tempDir(), 'Inbox.mbox')
    writeFileSync(mbox, buildMbox([buildMessage({ subject: 'One', headers: { Status: 'O' } })]))
    const { host, token, origin, log, services } = await start(profileDir)
    const { jobId } = services.mail.startImport([mbox])
    await new Promise<void>((resolve) => {
      const off = services.mail.events.on(
        'importFinished',
        (p) => p.jobId === jobId && (off(), resolve()),
      )
    })
    const ws = await connect(`ws://127.0.0.1:${host.port}/ws?token=${token}`, origin)
    const call = client(ws)
    const [message] = await services.mail.search('One', 1)
    expect(message?.seen).toBe(false)
    const id = message?.id as number

    expect(await call('mail.setSeen', { id, seen: 'yes' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    })
    expect(await call('mail.setSeen', { id: String(id), seen: true })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    })
    expect(await call('mail.setSeen', { id, seen: true, also: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    })
    expect(await call('mail.import.start', { paths: [] })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    })
    expect(await call('mail.deleteEverything', {})).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_METHOD' },
    })
    expect(await call('__proto__', {})).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_METHOD' },
    })
    expect(await call(['mail.setSeen'], { id, seen: true })).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_METHOD' },
    })
    // Nothing ran: the message is still unread, no import started.
    expect((await services.mail.getMessage(id)).seen).toBe(false)
    expect(() => services.mail.startImport([mbox])).not.toThrow()
    expect(log).toHaveLength(7)
    expect(
      log.every((line) => line.startsWith('[ipc] refused') && line.includes('over websocket')),
    ).toBe(true)

    // Not a call at all: the socket is closed, and the host keeps serving others.
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
    ws.send('{ not json')
    expect(await closed).toBe(1003)
    const again = await connect(`ws://127.0.0.1:${host.port}/ws?token=${token}`, origin)
    const noId = new Promise<number>((resolve) => again.once('close', (code) => resolve(code)))
    again.send(JSON.stringify({ method: 'mail.overview', input: {} }))
    expect(await noId).toBe(1003)
    expect((await get(host.port, '/')).status).toBe(200)
  })

  it("serves a message's frame and inline images only under the capability minted when it was opened", async () => {
    const profileDir = tempDir()
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
      'base64',
    )
    const mbox = join(tempDir(), 'Inbox.mbox')
    writeFileSync(
      mbox,
      buildMbox([
        buildMessage({
          subject: 'With images',
          html: '<p>Hi</p><img alt="logo" src="cid:logo@x"><img src="https://tracker.example/p.gif">',
          attachments: [
            {
              filename: 'logo.png',
              contentType: 'image/png',
              content: png,
              contentId: 'logo@x',
              inline: true,
            },
            { filename: 'notes.pdf', contentType: 'application/pdf', content: randomBytes(64) },
          ],
        }),
        buildMessage({ subject: 'Plain', text: 'Only text.' }),
      ]),
    )
    const { host, token, origin, services } = await start(profileDir)
    const { jobId } = services.mail.startImport([mbox])
    await new Promise<void>((resolve) => {
      const off = services.mail.events.on(
        'importFinished',
        (p) => p.jobId === jobId && (off(), resolve()),
      )
    })
    const ws = await connect(`ws://127.0.0.1:${host.port}/ws?token=${token}`, origin)
    const call = client(ws)
    const withImages = (await services.mail.search('images', 1))[0]?.id as number
    const plain = (await services.mail.search('Plain', 1))[0]?.id as number

    const opened = await call<MessageView>('mail.get', { id: withImages })
    if (!opened.ok) throw new Error(opened.error.message)
    const view = opened.value
    expect(view).not.toHaveProperty('inlineImages')
    expect(view.html?.hasRemoteContent).toBe(true)
    expect(view.html?.frameUrl).toMatch(/^\/mail\/[\w-]{22}\/frame$/)
    const viewId = view.html?.frameUrl.split('/')[2] as string

    const frame = await get(host.port, view.html?.frameUrl as string)
    expect(frame.status).toBe(200)
    expect(frame.headers['content-type']).toBe('text/html; charset=utf-8')
    const csp = String(frame.headers['content-security-policy'])
    expect(csp).toContain(`img-src ${origin}/mail/${viewId}/inline/ data:;`)
    expect(csp).toContain(`frame-ancestors ${origin}`)
    expect(csp).toContain('sandbox allow-popups allow-popups-to-escape-sandbox')
    expect(csp).not.toContain('script-src')
    expect(csp).not.toMatch(/https:/)
    const html = frame.body.toString()
    const inline = /src="(\/mail\/[\w-]{22}\/inline\/(\d+))"/.exec(html)
    expect(inline?.[1]).toBeDefined()
    const withRemote = await get(host.port, view.html?.frameUrlWithRemote as string)
    expect(String(withRemote.headers['content-security-policy'])).toContain(
      `img-src ${origin}/mail/${viewId}/inline/ data: https: http:;`,
    )

    const image = await get(host.port, inline?.[1] as string)
    expect(image.status).toBe(200)
    expect(image.headers['content-type']).toBe('image/png')
    expect(image.body.equals(png)).toBe(true)
    expect(String(image.headers['content-security-policy'])).toContain('sandbox')

    // The PDF attachment is no inline image; another view id, or none, reaches nothing.
    const attachments = view.attachments
    const pdf = attachments.find((a) => a.filename === 'notes.pdf')?.id as number
    expect((await get(host.port, `/mail/${viewId}/inline/${pdf}`)).status).toBe(404)
    const guessed = randomBytes(16).toString('base64url')
    expect((await get(host.port, `/mail/${guessed}/frame`)).status).toBe(404)
    expect((await get(host.port, `/mail/${guessed}/inline/${inline?.[2]}`)).status).toBe(404)
    expect((await get(host.port, `/mail/${withImages}/frame`)).status).toBe(404)

    // A capability names one message: another message's parts are not reachable through it.
    const second = await call<MessageView>('mail.get', { id: plain })
    expect(second).toMatchObject({
      ok: true,
      value: { html: null, text: expect.stringContaining('Only text') as string },
    })
    expect((await get(host.port, view.html?.frameUrl as string)).status).toBe(200)
    ws.close()
  })

  it('frames plain text with safe links, downloads attachments under a safe name, and deletes with undo over the socket', async () => {
    const profileDir = tempDir()
    const mbox = join(tempDir(), 'Inbox.mbox')
    const pdf = randomBytes(256)
    const longName = `${'a'.repeat(230)}.${'\u{1F600}'.repeat(10)}`
    writeFileSync(
      mbox,
      buildMbox([
        buildMessage({
          subject: 'Links and a file',
          text: 'See https://example.org/a?b=1&c=2). Not javascript:alert(1) nor <b>bold</b>.\n> quoted',
          attachments: [
            { filename: '../../evil/CON.pdf', contentType: 'application/pdf', content: pdf },
            // Too long: shortened to 200 bytes with the extension's first 16 UTF-16 units,
            // which end in half of an emoji (a lone surrogate).
            { filename: longName, contentType: 'application/octet-stream', content: pdf },
          ],
        }),
      ]),
    )
    const { host, token, origin, services } = await start(profileDir)
    const { jobId } = services.mail.startImport([mbox])
    await new Promise<void>((resolve) => {
      const off = services.mail.events.on(
        'importFinished',
        (p) => p.jobId === jobId && (off(), resolve()),
      )
    })
    const ws = await connect(`ws://127.0.0.1:${host.port}/ws?token=${token}`, origin)
    const call = client(ws)
    const id = (await services.mail.search('Links', 1))[0]?.id as number
    const opened = await call<MessageView>('mail.get', { id })
    if (!opened.ok) throw new Error(opened.error.message)
    const view = opened.value
    expect(view.html).toBeNull()
    expect(view.textFrameUrl).toMatch(/^\/mail\/[\w-]{22}\/frame$/)

    const frame = await get(host.port, view.textFrameUrl as string)
    expect(frame.status).toBe(200)
    const html = frame.body.toString()
    // The reader's typography, the link clickable without the sentence's ")." and nothing run.
    expect(html).toContain('font: 15px/1.55')
    expect(html).toContain('<a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer">')
    expect(html).not.toContain('href="javascript:')
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt;')
    expect(html).toContain('<span class="cairn-q1">')
    expect(String(frame.headers['content-security-policy'])).not.toContain('script-src')

    const attachment = view.attachments[0]
    const url = view.attachmentUrls[attachment?.id as number] as string
    const download = await get(host.port, url)
    expect(download.status).toBe(200)
    expect(download.body.equals(pdf)).toBe(true)
    expect(download.headers['content-type']).toBe('application/octet-stream')
    const disposition = String(download.headers['content-disposition'])
    expect(disposition).toBe(
      `attachment; filename="_.._evil_CON.pdf"; filename*=UTF-8''_.._evil_CON.pdf`,
    )
    // A long name is shortened between whole characters (no half emoji): a download, not a failed request.
    const long = await get(
      host.port,
      view.attachmentUrls[view.attachments[1]?.id as number] as string,
    )
    expect(long.status).toBe(200)
    expect(long.body.equals(pdf)).toBe(true)
    const longDisposition = String(long.headers['content-disposition'])
    expect(longDisposition).toMatch(/^attachment; filename="a+\.___*"; filename\*=UTF-8''a+\./)
    expect(decodeURIComponent(longDisposition.split("''")[1] as string)).toBe(
      `${'a'.repeat(171)}.${'\u{1F600}'.repeat(7)}`,
    )
    expect(
      (
        await get(
          host.port,
          url.replace(/\/mail\/[\w-]{22}\//, `/mail/${randomBytes(16).toString('base64url')}/`),
        )
      ).status,
    ).toBe(404)

    // Delete, see it in Trash, undo, see it back; the source is there too.
    const inbox = view.folderId
    const deleted = await call<{ summary: string; undoable: boolean }>('mail.delete', { ids: [id] })
    expect(deleted).toMatchObject({
      ok: true,
      value: { summary: 'Moved 1 message to Trash', undoable: true },
    })
    const where = () => services.mail.getMessage(id).then((m) => m.folderId)
    expect(await where()).not.toBe(inbox)
    expect(await call('mail.undo', {})).toMatchObject({ ok: true })
    expect(await where()).toBe(inbox)
    expect(await call('mail.undo', {})).toMatchObject({
      ok: false,
      error: { code: 'NOTHING_TO_UNDO' },
    })
    const source = await call<{ text: string; truncated: boolean }>('mail.source', { id })
    expect(source).toMatchObject({ ok: true, value: { truncated: false } })
    expect(source.ok && source.value.text).toContain('Subject: Links and a file')
    ws.close()
  })
})
