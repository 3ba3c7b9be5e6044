/**
 * The desktop app's Electron glue (main/app), loaded for real under Node
 * with a stand-in for the `electron` module: what it registers before and
 * after 'ready', the guards on every webContents and session, the app:
 * protocol, and the contract over IPC with hostile senders and inputs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, type Envelope } from '../../main/ipc/bridge'
import type { MessageView } from '../../main/ipc/contract'
import type { MessagePage } from '../../main/mail/types'
import { openMailDb } from '../../main/mail/db/connection'
import { importMail } from '../../main/mail/import/import-mail'
import { setBackupKey, writeBackupSettings } from '../../main/backup/backup-settings'
import { generateBackupKey } from '../../main/backup/key/backup-key'
import { openProfile } from '../../main/profile/profile'
import {
  FakeFrame,
  FakeSession,
  FakeWebContents,
  preventable,
  standIn,
  type MenuItem,
} from '../support/electron-stand-in'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { makeProfile } from '../support/profiles'

vi.mock('electron', async () => (await import('../support/electron-stand-in')).standIn.electron)

const { record, defaultSession } = standIn
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
)
let profileDir = ''
const warnings: string[] = []

beforeAll(async () => {
  // Not tempDir(): that is removed after each test, and this app lives through all of them.
  record.userData = mkdtempSync(join(tmpdir(), 'cairn-shell-'))
  profileDir = join(record.userData, 'profile')
  await makeProfile({ messages: 2, dir: profileDir })
  // And one HTML mail with an inline image, for the app: scheme's mail frame.
  const profile = openProfile(profileDir)
  const db = openMailDb(profile.paths.database)
  const mbox = join(record.userData, 'html.mbox')
  writeFileSync(
    mbox,
    buildMbox([
      buildMessage({
        subject: 'Pictures',
        html: '<p>Look</p><img alt="logo" src="cid:logo@x">',
        attachments: [
          {
            filename: 'logo.png',
            contentType: 'image/png',
            content: PNG,
            contentId: 'logo@x',
            inline: true,
          },
        ],
      }),
    ]),
  )
  await importMail({ db, attachmentsDir: profile.paths.attachments, paths: [mbox] })
  db.close()
  // Backups set up to a drive that is not plugged in, last successful three days ago.
  setBackupKey(profile, generateBackupKey(), 'user')
  writeBackupSettings(
    profile,
    (s) =>
      s && {
        ...s,
        destination: join(record.userData, 'unplugged-drive'),
        schedule: { kind: 'daily', time: '02:00' },
        lastSuccessAt: new Date(Date.now() - 3 * 86_400_000).toISOString(),
      },
  )
  profile.close()
  delete process.env.CAIRN_PROFILE
  vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
    warnings.push(args.map(String).join(' '))
  })
  await import('../../main/app/main')
})

afterAll(() => {
  vi.restoreAllMocks()
  rmSync(record.userData, { recursive: true, force: true })
})

const window = () => {
  const w = record.windows[0]
  if (!w) throw new Error('no window was created')
  return w
}

/** An IPC call as Electron would deliver it, from `frame` of `sender`. */
function invoke(
  method: unknown,
  input: unknown,
  from: { sender?: unknown; senderFrame?: FakeFrame | null } = {},
): Promise<Envelope<unknown>> {
  const handler = record.ipcHandlers.get(IPC_CALL_CHANNEL)
  if (!handler) throw new Error('no IPC handler registered')
  const contents = window().webContents
  const event = {
    sender: 'sender' in from ? from.sender : contents,
    senderFrame: 'senderFrame' in from ? from.senderFrame : contents.mainFrame,
  }
  return handler(event, method, input) as Promise<Envelope<unknown>>
}

async function value<T>(envelope: Promise<Envelope<unknown>>): Promise<T> {
  const result = await envelope
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`)
  return result.value as T
}

describe('the desktop shell, before ready', () => {
  it('registers app: as a privileged standard, secure scheme before the app is ready', () => {
    expect(record.privilegedSchemes).toEqual([
      {
        schemes: [
          {
            scheme: 'app',
            privileges: {
              standard: true,
              secure: true,
              supportFetchAPI: true,
              corsEnabled: true,
              codeCache: true,
            },
          },
        ],
        beforeReady: true,
      },
    ])
    expect(record.windows).toHaveLength(0)
  })

  it('guards every webContents created, from the first one on', () => {
    const contents = new FakeWebContents()
    standIn.electron.app.emit('web-contents-created', preventable({}), contents)
    expect(contents.listenerCount('will-frame-navigate')).toBe(1)
    expect(contents.listenerCount('will-navigate')).toBe(1)
    expect(contents.listenerCount('will-redirect')).toBe(1)
    expect(contents.listenerCount('will-attach-webview')).toBe(1)
    expect(contents.windowOpenHandler).not.toBeNull()
  })

  it('locks down every session created', () => {
    const created = new FakeSession()
    standIn.electron.app.emit('session-created', created)
    expect(created.spellChecker).toBe(false)
    expect(created.permissionCheckHandler?.()).toBe(false)
  })
})

describe('the desktop shell, once ready', () => {
  beforeAll(async () => {
    standIn.ready()
    await vi.waitFor(() => expect(record.ipcHandlers.has(IPC_CALL_CHANNEL)).toBe(true))
  })

  it('opens one sandboxed, isolated window without Node or spellcheck, loading the app: page', () => {
    expect(record.errorBoxes).toEqual([])
    expect(record.windows).toHaveLength(1)
    const prefs = window().options.webPreferences ?? {}
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
    })
    expect(String(prefs.preload)).toMatch(/preload[/\\]index\.cjs$/)
    expect(window().loadedUrl).toBe('app://cairn/index.html')
  })

  it('denies every permission request and check in the default session, and page downloads', () => {
    expect(defaultSession.spellChecker).toBe(false)
    const answers: boolean[] = []
    for (const permission of [
      'media',
      'notifications',
      'geolocation',
      'clipboard-read',
      'openExternal',
    ])
      defaultSession.permissionRequestHandler?.(
        window().webContents,
        permission,
        (granted: boolean) => answers.push(granted),
      )
    expect(answers).toEqual([false, false, false, false, false])
    expect(defaultSession.permissionCheckHandler?.(null, 'media', 'app://cairn', {})).toBe(false)
    expect(defaultSession.devicePermissionHandler?.({})).toBe(false)
    const download = preventable({})
    defaultSession.emit('will-download', download)
    expect(download.defaultPrevented).toBe(true)
  })

  it("keeps the window's frames on the app and sends web links to the system browser", () => {
    const contents = window().webContents
    const navigate = (url: string, isMainFrame: boolean) => {
      const details = preventable({ url, isMainFrame })
      contents.emit('will-frame-navigate', details)
      return details.defaultPrevented ? 'refused' : 'allowed'
    }
    record.openedExternally.length = 0
    expect(navigate('app://cairn/index.html', true)).toBe('allowed')
    expect(navigate('https://example.org/page', true)).toBe('refused')
    expect(navigate('app://cairn/mail/AAAAAAAAAAAAAAAAAAAAAA/frame', true)).toBe('refused')
    expect(navigate('file:///etc/passwd', true)).toBe('refused')
    expect(navigate('app://cairn/mail/AAAAAAAAAAAAAAAAAAAAAA/frame?remote=1', false)).toBe(
      'allowed',
    )
    // A mail that navigates its own frame stays put, and nothing is opened for it.
    expect(navigate('https://tracker.example/', false)).toBe('refused')
    expect(navigate('app://cairn/index.html', false)).toBe('refused')
    expect(record.openedExternally).toEqual(['https://example.org/page'])

    const willNavigate = preventable({ url: 'https://example.org/', isMainFrame: true })
    contents.emit('will-navigate', willNavigate)
    expect(willNavigate.defaultPrevented).toBe(true)
    const redirect = preventable({ url: 'https://example.org/', isMainFrame: true })
    contents.emit('will-redirect', redirect)
    expect(redirect.defaultPrevented).toBe(true)
    const webview = preventable({})
    contents.emit('will-attach-webview', webview)
    expect(webview.defaultPrevented).toBe(true)

    record.openedExternally.length = 0
    for (const url of [
      'https://example.org/a',
      'mailto:zoe@example.org',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'app://cairn/index.html',
      'https://user:pw@example.org/',
    ])
      expect(contents.windowOpenHandler?.({ url })).toEqual({ action: 'deny' })
    expect(record.openedExternally).toEqual(['https://example.org/a', 'mailto:zoe@example.org'])
  })

  it('serves the app: scheme through the shared handler (4xx for odd requests, mail by capability only)', async () => {
    const handle = record.protocolHandlers.get('app')
    if (!handle) throw new Error('no app: protocol handler')
    const status = async (url: string, method = 'GET') =>
      (await handle(new Request(url, { method }))).status
    expect(await status('app://cairn/%E0%A4%A')).toBe(400)
    expect(await status('app://cairn/..%2f..%2fpackage.json')).toBe(400)
    expect(await status('app://other/index.html')).toBe(421)
    expect(await status('app://cairn/index.html', 'POST')).toBe(405)
    expect(await status('app://cairn/mail/AAAAAAAAAAAAAAAAAAAAAA/frame')).toBe(404)

    const [hit] = await value<{ id: number }[]>(
      invoke('mail.search', { query: 'Pictures', limit: 1 }),
    )
    const view = await value<MessageView>(invoke('mail.get', { id: hit?.id }))
    if (!view.html) throw new Error('the HTML mail has no frame')
    const frame = await handle(new Request(`app://cairn${view.html.frameUrl}`))
    expect(frame.status).toBe(200)
    const viewId = view.html.frameUrl.split('/')[2] as string
    const csp = frame.headers.get('content-security-policy') ?? ''
    expect(csp).toContain(`img-src app://cairn/mail/${viewId}/inline/ data:;`)
    expect(csp).toContain('frame-ancestors app://cairn;')
    expect(csp).toContain('sandbox allow-popups allow-popups-to-escape-sandbox')
    const src = /src="(\/mail\/[\w-]{22}\/inline\/\d+)"/.exec(await frame.text())?.[1]
    const image = await handle(new Request(`app://cairn${src}`))
    expect(image.status).toBe(200)
    expect(image.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await image.arrayBuffer()).equals(PNG)).toBe(true)
  })

  it('answers calls from the main frame of its own page', async () => {
    expect(await invoke('mail.overview', {})).toEqual({ ok: true, value: { messageCount: 3 } })
    expect(await value<{ capabilities: unknown }>(invoke('app.info', {}))).toMatchObject({
      profileDir,
      capabilities: { nativeDialogs: true },
    })
  })

  it('shows the backup key only after the user says yes in a native dialog, which the page cannot answer', async () => {
    record.messageBoxes.length = 0
    record.messageBoxAnswer = 1 // Cancel
    const refused = await invoke('backupKey.reveal', { newKey: false })
    expect(refused).toMatchObject({ ok: false, error: { code: 'KEY_NOT_CONFIRMED' } })
    expect(JSON.stringify(refused)).not.toMatch(/[0-9a-f]{4} [0-9a-f]{4}/)
    expect(await invoke('backupKey.sheet', {})).toMatchObject({
      ok: false,
      error: { code: 'KEY_NOT_CONFIRMED' },
    })
    expect(
      await invoke('backupKey.setUpVault', {
        url: 'https://vault.attacker.example',
        password: 'pw',
        newKey: true,
      }),
    ).toMatchObject({ ok: false, error: { code: 'KEY_NOT_CONFIRMED' } })
    expect(record.messageBoxes).toEqual([
      { message: 'Show your backup key?', buttons: ['Show the key', 'Cancel'] },
      { message: 'Show the recovery sheet?', buttons: ['Show the sheet', 'Cancel'] },
      { message: 'Keep your backup key in a vault?', buttons: ['Use this vault', 'Cancel'] },
    ])

    // Said yes: a new key to write down is shown.
    record.messageBoxAnswer = 0
    const shown = await value<{ groups: string[] }>(invoke('backupKey.reveal', { newKey: true }))
    expect(shown.groups).toHaveLength(16)
    expect(record.messageBoxes.at(-1)?.message).toBe('Show a new backup key to write down?')
    record.messageBoxAnswer = 1
  })

  it('refuses calls from a subframe, another window, a navigated page, with bad input or to no method; logged, nothing run', async () => {
    const contents = window().webContents
    const page = await value<MessagePage>(invoke('mail.list', { folderId: 1, limit: 10 }))
    const message = page.messages.find((m) => m.seen) as { id: number }
    expect(message).toBeDefined()
    const unread = { id: message.id, seen: false }
    warnings.length = 0
    const refusals: [string, Promise<Envelope<unknown>>][] = [
      [
        'subframe',
        invoke('mail.setSeen', unread, {
          senderFrame: new FakeFrame('app://cairn/index.html', contents.mainFrame),
        }),
      ],
      [
        'mail frame',
        invoke('mail.setSeen', unread, {
          senderFrame: new FakeFrame('app://cairn/mail/x/frame', contents.mainFrame),
        }),
      ],
      ['no frame', invoke('mail.setSeen', unread, { senderFrame: null })],
      ['other window', invoke('mail.setSeen', unread, { sender: new FakeWebContents() })],
    ]
    for (const [what, envelope] of refusals)
      expect(await envelope, what).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_SENDER' } })

    contents.mainFrame.url = 'https://evil.example/'
    expect(await invoke('mail.setSeen', unread)).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN_SENDER' },
    })
    contents.mainFrame.url = 'app://cairn/index.html'

    expect(await invoke('mail.setSeen', { id: message.id, seen: 'no' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    })
    expect(await invoke('mail.setSeen', { id: message.id })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    })
    expect(await invoke('mail.markEverythingRead', {})).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_METHOD' },
    })
    expect(await invoke('constructor', {})).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_METHOD' },
    })

    // Nothing ran: the message is still read, and no 'mail.changed' went out.
    const after = await value<MessagePage>(invoke('mail.list', { folderId: 1, limit: 10 }))
    expect(after.messages.find((m) => m.id === message.id)?.seen).toBe(true)
    expect(contents.sent.filter((s) => s[1] === 'mail.changed')).toEqual([])
    expect(warnings).toHaveLength(9)
    expect(
      warnings.every((w) => w.startsWith('[ipc] refused') && w.includes('over electron')),
    ).toBe(true)
  })

  it('sends service events and menu commands to its own page only', async () => {
    const contents = window().webContents
    contents.sent.length = 0
    const page = await value<MessagePage>(invoke('mail.list', { folderId: 1, limit: 10 }))
    const id = page.messages[0]?.id as number
    await value(invoke('mail.setSeen', { id, seen: false }))
    expect(contents.sent).toContainEqual([IPC_EVENT_CHANNEL, 'mail.changed', { reason: 'flags' }])

    const file = record.menu?.find((item) => item.label === 'File')
    const importItem = file?.submenu?.find((item: MenuItem) => item.label === 'Import Mail…')
    importItem?.click?.()
    expect(contents.sent).toContainEqual([
      IPC_EVENT_CHANNEL,
      'app.command',
      { command: 'import-mail' },
    ])

    contents.sent.length = 0
    contents.mainFrame.url = 'https://evil.example/'
    importItem?.click?.()
    expect(contents.sent).toEqual([])
    contents.mainFrame.url = 'app://cairn/index.html'
  })

  it('shows backup notices as desktop notifications, once each; clicking one opens the screen that fixes it', async () => {
    // The schedule's catch-up run failed (the drive is not there): failed, and overdue.
    await vi.waitFor(
      () => expect(record.notifications.map((n) => n.options.title)).toContain('Backup failed'),
      { timeout: 30_000 },
    )
    const failed = record.notifications.find((n) => n.options.title === 'Backup failed')
    expect(failed?.options.body).toContain('unplugged-drive does not exist')
    expect(record.notifications.map((n) => n.options.title)).toContain('Backups are overdue')
    const shown = record.notifications.length
    const contents = window().webContents
    contents.sent.length = 0
    failed?.click()
    expect(contents.sent).toContainEqual([
      IPC_EVENT_CHANNEL,
      'app.command',
      { command: 'open-settings', screen: 'destination' },
    ])
    // The menu opens Settings and the restore wizard too.
    const file = record.menu?.find((item) => item.label === 'File')
    file?.submenu?.find((item: MenuItem) => item.label === 'Settings…')?.click?.()
    file?.submenu?.find((item: MenuItem) => item.label === 'Restore from a Backup…')?.click?.()
    expect(contents.sent).toContainEqual([
      IPC_EVENT_CHANNEL,
      'app.command',
      { command: 'open-settings' },
    ])
    expect(contents.sent).toContainEqual([
      IPC_EVENT_CHANNEL,
      'app.command',
      { command: 'open-restore' },
    ])
    // The same notices are not shown again while nothing changed.
    await value(invoke('backup.status', {}))
    expect(record.notifications.length).toBe(shown)
  })

  it('stops serving when its window closes, and releases the profile on quit', async () => {
    window().close()
    expect(record.removedIpcHandlers).toContain(IPC_CALL_CHANNEL)
    expect(record.ipcHandlers.has(IPC_CALL_CHANNEL)).toBe(false)
    const quit = preventable({})
    standIn.electron.app.emit('will-quit', quit)
    expect(quit.defaultPrevented).toBe(true)
    await vi.waitFor(() => expect(record.quits).toBeGreaterThan(0))
    // The profile lock is free again: the services closed.
    openProfile(profileDir).close()
  })
})
