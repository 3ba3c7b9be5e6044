import { BrowserWindow, shell } from 'electron'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { isSafeExternalUrl } from '../shared/external-links.js'

const here = dirname(fileURLToPath(import.meta.url))
export const rendererIndex = join(here, '..', 'renderer', 'index.html')
export const rendererUrl = pathToFileURL(rendererIndex).href

/**
 * The main window, locked down per Electron's security checklist: isolated
 * and sandboxed renderer without Node, no navigation away from the app,
 * new windows refused, and web links handed to the system browser only
 * after a scheme check. The CSP is in renderer/index.html.
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
      webSecurity: true,
      webviewTag: false,
      spellcheck: true,
    },
  })
  const contents = window.webContents
  contents.setWindowOpenHandler(({ url }) => {
    openExternal(url)
    return { action: 'deny' }
  })
  contents.on('will-navigate', (event, url) => {
    if (url === rendererUrl) return
    event.preventDefault()
    openExternal(url)
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  window.once('ready-to-show', () => window.show())
  void window.loadFile(rendererIndex)
  return window
}

function openExternal(url: string): void {
  if (isSafeExternalUrl(url)) void shell.openExternal(url)
}
