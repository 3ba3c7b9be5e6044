/**
 * The Electron main process: the only code that imports 'electron'. It
 * applies the shell's policies (main/ipc/web-contents-policy.ts) to every
 * webContents and session, serves the UI from the app: scheme through the
 * shared request handler, opens the profile's services and serves the
 * contract over IPC. Everything else lives in plain Node modules below main/.
 */
import {
  app,
  dialog,
  ipcMain,
  powerMonitor,
  protocol,
  session,
  shell,
  type BrowserWindow,
} from 'electron'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cliArgsOf, runCliInApp } from '../cli/app-mode.js'
import { APP_ORIGIN, APP_SCHEME, APP_SCHEME_PRIVILEGES } from '../ipc/app-protocol.js'
import { createServiceContext, type OwnedServiceContext } from '../ipc/context.js'
import { serveElectronIpc } from '../ipc/electron-ipc.js'
import { createRouter } from '../ipc/router.js'
import { createUiHandler } from '../ipc/ui-handler.js'
import { guardWebContents, lockDownSession } from '../ipc/web-contents-policy.js'
import { resolveProfileDir } from '../profile/location.js'
import { openServices, type CairnServices } from '../services.js'
import { CairnError, describeError } from '../shared/errors.js'
import { installMenu } from './menu.js'
import { createMainWindow } from './window.js'

const rendererDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'renderer')
let services: CairnServices | undefined
let context: OwnedServiceContext | undefined
let mainWindow: BrowserWindow | undefined

const cliArgs = cliArgsOf(process.argv)
if (cliArgs) {
  // `Cairn --cli -- <command>` (the `cairn` launcher): the command line, instead of any window.
  app.dock?.hide()
  void runCliInApp(cliArgs, (code) => app.exit(code))
} else if (!app.requestSingleInstanceLock()) {
  // Another Cairn is running: it gets focus (see 'second-instance'); this one leaves.
  app.quit()
} else {
  // Before 'ready': the app: scheme is a standard, secure origin of its own.
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }])
  // Every webContents (windows, devtools, anything created later) and every session get the guards.
  app.on('web-contents-created', (_event, contents) =>
    guardWebContents(contents, { openExternal: (url) => void shell.openExternal(url) }),
  )
  app.on('session-created', (created) => lockDownSession(created))
  app.on('second-instance', () => {
    if (!mainWindow) return
    if (mainWindow.isMinimized()) mainWindow.restore()
    mainWindow.focus()
  })
  app.on('window-all-closed', () => app.quit())
  app.on('will-quit', (event) => {
    if (!services) return
    event.preventDefault()
    const closing = services
    services = undefined
    context?.close()
    void closing.close().finally(() => app.quit())
  })
  void app.whenReady().then(start)
}

async function start(): Promise<void> {
  lockDownSession(session.defaultSession)
  const profileDir = resolveProfileDir(process.argv, process.env, () =>
    join(app.getPath('userData'), 'profile'),
  )
  try {
    services = openServices(profileDir)
  } catch (error) {
    dialog.showErrorBox('Cairn cannot open its profile', describeError(error))
    app.exit(1)
    return
  }
  const ctx = createServiceContext(services, {
    pickImportSources: async () => {
      const options: Electron.OpenDialogOptions = {
        title: 'Import mail',
        buttonLabel: 'Import',
        properties: ['openFile', 'openDirectory', 'multiSelections'],
        filters: [{ name: 'Mail (mbox, eml)', extensions: ['mbox', 'mbx', 'eml', '*'] }],
      }
      const result = mainWindow
        ? await dialog.showOpenDialog(mainWindow, options)
        : await dialog.showOpenDialog(options)
      return result.canceled ? null : result.filePaths
    },
    pickFolder: async (title) => {
      const options: Electron.OpenDialogOptions = {
        title,
        buttonLabel: 'Save here',
        properties: ['openDirectory', 'createDirectory'],
      }
      const result = mainWindow
        ? await dialog.showOpenDialog(mainWindow, options)
        : await dialog.showOpenDialog(options)
      return result.canceled ? null : (result.filePaths[0] ?? null)
    },
    openPath: async (path) => {
      // shell.openPath answers an error text rather than throwing.
      const problem = await shell.openPath(path)
      if (problem)
        throw new CairnError(
          'SAVE_FAILED',
          `The file was saved to ${path} but could not be opened: ${problem}`,
        )
    },
  })
  context = ctx
  protocol.handle(
    APP_SCHEME,
    createUiHandler({ rendererDir, origin: APP_ORIGIN, views: ctx.mailViews }),
  )
  // Timers do not run while the machine sleeps: on wake, catch up on a missed backup now.
  powerMonitor.on('resume', () => services?.backups.wake())
  const window = createMainWindow()
  mainWindow = window
  serveElectronIpc({ ipcMain, window, router: createRouter(ctx, { transport: 'electron' }) })
  installMenu((command) => ctx.host.commands.emit('command', { command }))
  window.on('closed', () => {
    mainWindow = undefined
  })
}
