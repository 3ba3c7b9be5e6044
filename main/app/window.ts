import { BrowserWindow } from 'electron'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { APP_PAGE_URL } from '../ipc/app-protocol.js'

const here = dirname(fileURLToPath(import.meta.url))

/**
 * The main window: isolated and sandboxed renderer without Node, loading
 * the app page from the app: scheme. Navigation, new windows, webviews and
 * permissions are guarded for every webContents in main.ts
 * (main/ipc/web-contents-policy.ts); the CSP arrives as a response header.
 */
export function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 720,
    minHeight: 480,
    title: 'Cairn',
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
  void window.loadURL(APP_PAGE_URL)
  return window
}
