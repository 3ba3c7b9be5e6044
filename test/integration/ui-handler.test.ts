import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { APP_ORIGIN } from '../../main/ipc/app-protocol'
import { MailViews } from '../../main/ipc/mail-views'
import { createUiHandler } from '../../main/ipc/ui-handler'
import { openServices, type CairnServices } from '../../main/services'
import { tempDir } from '../support/temp'

const rendererDir = join(import.meta.dirname, '..', '..', 'out', 'renderer')
let services: CairnServices | undefined
afterEach(async () => {
  await services?.close()
  services = undefined
})

/** The handler Electron's protocol.handle('app', …) gets, over the built renderer. */
function appHandler() {
  services = openServices(tempDir())
  return createUiHandler({ rendererDir, origin: APP_ORIGIN, views: new MailViews(services.mail) })
}

describe('the app: protocol handler', () => {
  it('serves the built renderer with the app CSP, nosniff and same-origin policies as headers', async () => {
    const handle = appHandler()
    for (const url of ['app://cairn/', 'app://cairn/index.html']) {
      const response = await handle(new Request(url))
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(response.headers.get('content-security-policy')).toMatch(
        /^default-src 'none'; script-src 'self';/,
      )
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('cross-origin-resource-policy')).toBe('same-origin')
      expect(await response.text()).toContain('<div id="root">')
    }
    const html = await (await handle(new Request('app://cairn/'))).text()
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1] as string
    const js = await handle(new Request(`app://cairn/${script}`))
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    const head = await handle(new Request('app://cairn/index.html', { method: 'HEAD' }))
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })

  it('refuses traversal, malformed escapes, other methods and other hosts with 4xx', async () => {
    const handle = appHandler()
    const cases: [string, number, string?][] = [
      ['app://cairn/../../package.json', 404],
      ['app://cairn/%2e%2e/%2e%2e/package.json', 404],
      ['app://cairn/assets/..%2f..%2fpackage.json', 400],
      ['app://cairn/assets/..%5c..%5cpackage.json', 400],
      ['app://cairn/index.html%00.png', 400],
      ['app://cairn/%E0%A4%A', 400],
      ['app://cairn/assets/', 404],
      ['app://cairn/assets', 404],
      [`app://cairn/${'a'.repeat(3000)}`, 414],
      ['app://evil/index.html', 421],
      ['app://cairn/index.html', 405, 'POST'],
      ['app://cairn/index.html', 405, 'PUT'],
    ]
    for (const [url, status, method] of cases)
      expect((await handle(new Request(url, { method: method ?? 'GET' }))).status, url).toBe(status)
  })

  it('downloads an attachment whatever its name holds: a lone surrogate, quotes, a newline', async () => {
    const bytes = Buffer.from('%PDF-1.4')
    let filename = ''
    // The mail's own name as the view hands it over (a mail's name can hold half of an emoji).
    const views = {
      document: async () => null,
      inlineImage: () => null,
      attachment: () => ({ filename, bytes }),
    }
    const handle = createUiHandler({ rendererDir, origin: APP_ORIGIN, views })
    const cases: [string, string, string][] = [
      ['report\uD83D.pdf', 'report_.pdf', 'report%EF%BF%BD.pdf'],
      ['\uDE00start', '_start', '%EF%BF%BDstart'],
      [
        'say "hi"\r\nX-Injected: 1.txt',
        'say _hi___X-Injected: 1.txt',
        'say%20%22hi%22%0D%0AX-Injected%3A%201.txt',
      ],
      ["it's (1) *.txt", "it's (1) *.txt", 'it%27s%20%281%29%20%2A.txt'],
    ]
    for (const [name, ascii, exact] of cases) {
      filename = name
      const response = await handle(new Request('app://cairn/mail/view/attachment/1'))
      expect(response.status, JSON.stringify(name)).toBe(200)
      expect(response.headers.get('content-disposition')).toBe(
        `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`,
      )
      expect(response.headers.has('x-injected')).toBe(false)
      expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true)
    }
  })
})
