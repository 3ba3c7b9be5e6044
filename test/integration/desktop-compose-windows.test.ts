/**
 * Compose windows in the desktop app (main/app), loaded for real under Node
 * with the stand-in `electron` module: a draft opens in a second window made
 * by the same factory as the main window (same hardened preferences,
 * preload, guards), at the compose-only page; asking again for the same
 * draft brings that window forward; the contract serves every window of
 * the app and nothing else.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, type Envelope } from '../../main/ipc/bridge'
import type { AppInfo } from '../../main/ipc/contract'
import type { DraftView } from '../../main/mail/compose/compose-service'
import { openProfile } from '../../main/profile/profile'
import type { FakeWebContents } from '../support/electron-stand-in'
import { standIn } from '../support/electron-stand-in'
import { makeProfile } from '../support/profiles'

vi.mock('electron', async () => (await import('../support/electron-stand-in')).standIn.electron)

const { record } = standIn
type FakeWindow = (typeof record.windows)[number]
let profileDir = ''

beforeAll(async () => {
  record.userData = mkdtempSync(join(tmpdir(), 'cairn-compose-windows-'))
  profileDir = join(record.userData, 'profile')
  await makeProfile({ messages: 1, dir: profileDir })
  delete process.env.CAIRN_PROFILE
  vi.spyOn(console, 'warn').mockImplementation(() => undefined)
  await import('../../main/app/main')
  standIn.ready()
  await vi.waitFor(() => expect(record.ipcHandlers.has(IPC_CALL_CHANNEL)).toBe(true))
})

afterAll(() => {
  vi.restoreAllMocks()
  rmSync(record.userData, { recursive: true, force: true })
})

const windowAt = (index: number): FakeWindow => {
  const w = record.windows[index]
  if (!w) throw new Error(`no window #${index}`)
  return w
}

/** An IPC call as Electron delivers it, from the main frame of `from` (the main window by default). */
function invoke(
  method: string,
  input: unknown,
  from: { webContents: FakeWebContents } = windowAt(0),
): Promise<Envelope<unknown>> {
  const handler = record.ipcHandlers.get(IPC_CALL_CHANNEL)
  if (!handler) throw new Error('no IPC handler registered')
  const event = { sender: from.webContents, senderFrame: from.webContents.mainFrame }
  return handler(event, method, input) as Promise<Envelope<unknown>>
}

async function value<T>(envelope: Promise<Envelope<unknown>>): Promise<T> {
  const result = await envelope
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`)
  return result.value as T
}

describe('compose windows in the desktop app', () => {
  let draft: DraftView

  it('says it has compose windows', async () => {
    expect(record.windows).toHaveLength(1)
    const info = await value<AppInfo>(invoke('app.info', {}))
    expect(info.capabilities.composeWindows).toBe(true)
  })

  it("opens a draft in a second window with the main window's hardened preferences, at the compose page", async () => {
    draft = await value<DraftView>(invoke('compose.start', { kind: 'new' }))
    expect(await invoke('app.openComposeWindow', { draftId: draft.id })).toEqual({
      ok: true,
      value: null,
    })
    expect(record.windows).toHaveLength(2)
    const main = windowAt(0)
    const compose = windowAt(1)
    const prefs = compose.options.webPreferences ?? {}
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
    })
    // The very same preferences (preload included) as the main window: one factory.
    expect(prefs).toEqual(main.options.webPreferences)
    expect(String(prefs.preload)).toMatch(/preload[/\\]index\.cjs$/)
    expect(compose.loadedUrl).toBe(`app://cairn/index.html?compose=${draft.id}`)
    // The guards every webContents gets (navigation, new windows, webviews).
    expect(compose.webContents.listenerCount('will-frame-navigate')).toBe(1)
    expect(compose.webContents.listenerCount('will-attach-webview')).toBe(1)
    expect(compose.webContents.windowOpenHandler).not.toBeNull()
  })

  it('serves the contract and its events to the compose window as to the main window', async () => {
    const compose = windowAt(1)
    const seen = await value<DraftView>(invoke('compose.get', { draftId: draft.id }, compose))
    expect(seen.id).toBe(draft.id)
    compose.webContents.sent.length = 0
    windowAt(0).webContents.sent.length = 0
    await value(
      invoke('compose.save', { draftId: draft.id, subject: 'From its own window' }, compose),
    )
    await value(invoke('mail.setSeen', { id: 1, seen: false }, compose))
    for (const w of [windowAt(0), compose])
      expect(w.webContents.sent).toContainEqual([
        IPC_EVENT_CHANNEL,
        'mail.changed',
        { reason: 'flags' },
      ])
    const saved = await value<DraftView>(invoke('compose.get', { draftId: draft.id }))
    expect(saved.subject).toBe('From its own window')
  })

  it('brings the open window forward when the same draft is asked for again', async () => {
    const compose = windowAt(1)
    const before = compose.focusCount
    await value(invoke('app.openComposeWindow', { draftId: draft.id }))
    expect(record.windows).toHaveLength(2)
    expect(compose.focusCount).toBe(before + 1)
    // Also when asked from the compose window itself (reopening from Drafts, say).
    await value(invoke('app.openComposeWindow', { draftId: draft.id }, compose))
    expect(record.windows).toHaveLength(2)
  })

  it('opens one window per draft, and none for a draft that does not exist', async () => {
    const other = await value<DraftView>(invoke('compose.start', { kind: 'new' }))
    await value(invoke('app.openComposeWindow', { draftId: other.id }))
    expect(record.windows).toHaveLength(3)
    expect(windowAt(2).loadedUrl).toBe(`app://cairn/index.html?compose=${other.id}`)
    expect(await invoke('app.openComposeWindow', { draftId: 999_999 })).toMatchObject({
      ok: false,
      error: { code: 'DRAFT_NOT_FOUND' },
    })
    expect(await invoke('app.openComposeWindow', { draftId: -1 })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    })
    expect(record.windows).toHaveLength(3)
  })

  it('refuses calls from a closed compose window; closing it lets the draft open again in a new one', async () => {
    const compose = windowAt(1)
    compose.close()
    expect(await invoke('compose.get', { draftId: draft.id }, compose)).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN_SENDER' },
    })
    // The draft is still there (it was saved as typed).
    expect((await value<DraftView>(invoke('compose.get', { draftId: draft.id }))).subject).toBe(
      'From its own window',
    )
    await value(invoke('app.openComposeWindow', { draftId: draft.id }))
    expect(record.windows).toHaveLength(4)
    expect(windowAt(3).loadedUrl).toBe(`app://cairn/index.html?compose=${draft.id}`)
  })

  it('keeps serving open compose windows after the main window closes; stops with the last one', async () => {
    windowAt(0).close()
    expect(record.ipcHandlers.has(IPC_CALL_CHANNEL)).toBe(true)
    expect(await invoke('compose.get', { draftId: draft.id }, windowAt(3))).toMatchObject({
      ok: true,
    })
    windowAt(2).close()
    windowAt(3).close()
    expect(record.ipcHandlers.has(IPC_CALL_CHANNEL)).toBe(false)
    const quit = {
      defaultPrevented: false,
      preventDefault() {
        this.defaultPrevented = true
      },
    }
    standIn.electron.app.emit('will-quit', quit)
    await vi.waitFor(() => expect(record.quits).toBeGreaterThan(0))
    openProfile(profileDir).close()
  })
})
