import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { downloadToStore } from '../../main/chat/files'
import { Uploader } from '../../main/chat/upload'
import { NS } from '../../main/chat/xmpp/namespaces'
import type { XmppSession } from '../../main/chat/xmpp/session'
import { el, type XmlElement } from '../../main/chat/xmpp/xml'
import { createTestCa, type TestCa } from '../support/tls'

let ca: TestCa
let server: Server
let port = 0
let puts = 0
let gets = 0
const dir = mkdtempSync(join(tmpdir(), 'cairn-upload-'))
const file = join(dir, 'notes.txt')

beforeAll(async () => {
  ca = createTestCa()
  const issued = ca.issue('upload')
  // An upload service that takes every PUT: a refused slot is refused by Cairn, not by it.
  server = createServer(
    { cert: readFileSync(issued.cert), key: readFileSync(issued.key) },
    (req, res) => {
      if (req.method === 'PUT') puts++
      if (req.method === 'GET') gets++
      req.resume()
      req.on('end', () => res.writeHead(201).end())
    },
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  port = typeof address === 'object' && address ? address.port : 0
  writeFileSync(file, 'the minutes')
})

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()))
})

/** A server's side of XEP-0363 discovery and the slot request, answering with these addresses. */
function sessionOffering(slot: { put: string; get: string }): XmppSession {
  const iq = (stanza: XmlElement): Promise<XmlElement> => {
    const payload = stanza.elements()[0]
    if (payload?.xmlns === NS.discoItems)
      return Promise.resolve(el('iq', { type: 'result' }, el('query', { xmlns: NS.discoItems })))
    if (payload?.xmlns === NS.discoInfo)
      return Promise.resolve(
        el(
          'iq',
          { type: 'result' },
          el('query', { xmlns: NS.discoInfo }, el('feature', { var: NS.upload })),
        ),
      )
    return Promise.resolve(
      el(
        'iq',
        { type: 'result' },
        el(
          'slot',
          { xmlns: NS.upload },
          el('put', { url: slot.put }),
          el('get', { url: slot.get }),
        ),
      ),
    )
  }
  return { iq } as unknown as XmppSession
}

const upload = (slot: { put: string; get: string }) =>
  new Uploader(sessionOffering(slot), 'localhost', { ca: ca.certPem }).upload(
    file,
    join(dir, 'attachments'),
  )

describe('upload slot addresses (XEP-0363) come from the server: https only', () => {
  it('uploads to an https slot and gives its https GET address (the control case)', async () => {
    const before = puts
    const sent = await upload({
      put: `https://127.0.0.1:${port}/slot/notes.txt`,
      get: `https://127.0.0.1:${port}/slot/notes.txt`,
    })
    expect(sent.url).toBe(`https://127.0.0.1:${port}/slot/notes.txt`)
    expect(puts).toBe(before + 1)
  })

  it.each([
    ['plain http', (p: number) => `http://127.0.0.1:${p}/slot/notes.txt`],
    ['file:', () => 'file:///etc/passwd'],
    ['javascript:', () => 'javascript:alert(1)'],
    ['data:', () => 'data:text/html,<script>alert(1)</script>'],
    ['https with a line break', (p: number) => `https://127.0.0.1:${p}/slot/\nnotes.txt`],
  ])('refuses a slot whose GET address is %s, before uploading a byte', async (_label, getUrl) => {
    const before = puts
    await expect(
      upload({ put: `https://127.0.0.1:${port}/slot/notes.txt`, get: getUrl(port) }),
    ).rejects.toMatchObject({ code: 'CHAT_UPLOAD_FAILED', message: /not HTTPS/ })
    expect(puts).toBe(before)
  })

  it('refuses a plain http PUT address', async () => {
    const before = puts
    await expect(
      upload({
        put: `http://127.0.0.1:${port}/slot/notes.txt`,
        get: `https://127.0.0.1:${port}/slot/notes.txt`,
      }),
    ).rejects.toMatchObject({ code: 'CHAT_UPLOAD_FAILED', message: /unencrypted upload/ })
    expect(puts).toBe(before)
  })
})

describe('a file address a peer sends', () => {
  it.each([
    'file:///etc/passwd',
    'data:text/plain,hello',
    'javascript:alert(1)',
    'ftp://127.0.0.1/notes.txt',
    'http://127.0.0.1:1/notes.txt',
  ])('is never fetched unless it is https: %s', async (url) => {
    const before = gets
    await expect(
      downloadToStore(url.replace(':1/', `:${port}/`), join(dir, 'in'), 1_000_000, {
        ca: ca.certPem,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(gets).toBe(before)
  })
})
