import { BrowserWindow } from 'electron'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { APP_PAGE_URL, composePageUrl } from '../ipc/app-protocol.js'

const here = dirname(fileURLToPath(import.meta.url))

/** How a window of the app looks; everything about what it may do is fixed in appWindow. */
interface WindowShape {
  url: string
  title: string
  width: number
  height: number
  minWidth: number
  minHeight: number
}

/**
 * Every window of the app: isolated and sandboxed renderer without Node,
 * with the preload, loading an app page from the app: scheme. Navigation,
 * new windows, webviews and permissions are guarded for every webContents
 * in main.ts (main/ipc/web-contents-policy.ts); the CSP arrives as a
 * response header. The main window and compose windows differ only in
 * their size and the page's query, never in these preferences.
 */
function appWindow(shape: WindowShape): BrowserWindow {
  const window = new BrowserWindow({
    width: shape.width,
    height: shape.height,
    minWidth: shape.minWidth,
    minHeight: shape.minHeight,
    title: shape.title,
    show: false,
    webPreferences: {
      preload: join(here, '..', 'preload', 'index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
    },
  })
  window.once('ready-to-show', () => window.show())
  void window.loadURL(shape.url)
  return window
}

/** The main window: folders, messages, reader, chat, settings. */
export function createMainWindow(): BrowserWindow {
  return appWindow({
    url: APP_PAGE_URL,
    title: 'Cairn',
    width: 1280,
    height: 820,
    minWidth: 720,
    minHeight: 480,
  })
}

/** A window holding one draft's composer (the page at ?compose=<draftId>). */
export function createComposeWindow(draftId: number): BrowserWindow {
  return appWindow({
    url: composePageUrl(draftId),
    title: 'New message — Cairn',
    width: 760,
    height: 680,
    minWidth: 480,
    minHeight: 360,
  })
}
