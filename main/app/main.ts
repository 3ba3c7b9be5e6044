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
  Notification,
  powerMonitor,
  protocol,
  session,
  shell,
  type BrowserWindow,
} from 'electron'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cliArgsOf, runCliInApp } from '../cli/app-mode.js'
import { serveAppControl, type AppControlServer } from '../ipc/app-control-server.js'
import { APP_ORIGIN, APP_SCHEME, APP_SCHEME_PRIVILEGES } from '../ipc/app-protocol.js'
import { createServiceContext, type OwnedServiceContext } from '../ipc/context.js'
import { serveElectronIpc } from '../ipc/electron-ipc.js'
import { createRouter } from '../ipc/router.js'
import { createUiHandler } from '../ipc/ui-handler.js'
import { guardWebContents, lockDownSession } from '../ipc/web-contents-policy.js'
import { resolveProfileDir } from '../profile/location.js'
import { ProfileSession } from '../ipc/profile-session.js'
import { openServices } from '../services.js'
import { CairnError, describeError } from '../shared/errors.js'
import { ComposeWindows } from './compose-windows.js'
import { installMenu } from './menu.js'
import { createComposeWindow, createMainWindow } from './window.js'

const rendererDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'renderer')
let profile: ProfileSession | undefined
let context: OwnedServiceContext | undefined
let control: AppControlServer | null = null
const notifications = new Set<Notification>()
let mainWindow: BrowserWindow | undefined
let composeWindows: ComposeWindows | undefined

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
    if (!profile) return
    event.preventDefault()
    const closing = profile
    profile = undefined
    void (control?.close() ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        context?.close()
        return closing.close()
      })
      .finally(() => app.quit())
  })
  void app.whenReady().then(start)
}

async function start(): Promise<void> {
  lockDownSession(session.defaultSession)
  const profileDir = resolveProfileDir(process.argv, process.env, () =>
    join(app.getPath('userData'), 'profile'),
  )
  try {
    profile = new ProfileSession(profileDir, (dir) => openServices(dir))
  } catch (error) {
    dialog.showErrorBox('Cairn cannot open its profile', describeError(error))
    app.exit(1)
    return
  }
  const pick = async (options: Electron.OpenDialogOptions) => {
    const result = mainWindow
      ? await dialog.showOpenDialog(mainWindow, options)
      : await dialog.showOpenDialog(options)
    return result.canceled ? null : result.filePaths
  }
  const ctx = createServiceContext(profile, {
    pickImportSources: () =>
      pick({
        title: 'Import mail',
        buttonLabel: 'Import',
        properties: ['openFile', 'openDirectory', 'multiSelections'],
        filters: [{ name: 'Mail (mbox, eml)', extensions: ['mbox', 'mbx', 'eml', '*'] }],
      }),
    pickBackupLocation: async (purpose) =>
      (
        await pick(
          purpose === 'destination'
            ? {
                title: 'Choose a folder for your backups',
                buttonLabel: 'Use this folder',
                properties: ['openDirectory', 'createDirectory'],
              }
            : {
                title: 'Choose a backup, or the folder that holds your backups',
                buttonLabel: 'Choose',
                properties: ['openFile', 'openDirectory'],
                filters: [{ name: 'Cairn backups', extensions: ['age', '*'] }],
              },
        )
      )?.[0] ?? null,
    pickChatFiles: () =>
      pick({
        title: 'Send files',
        buttonLabel: 'Send',
        properties: ['openFile', 'multiSelections'],
      }),
    chooseSaveLocation: async (suggestedName) => {
      const options: Electron.SaveDialogOptions = {
        title: 'Save file',
        defaultPath: join(app.getPath('downloads'), suggestedName),
      }
      const result = mainWindow
        ? await dialog.showSaveDialog(mainWindow, options)
        : await dialog.showSaveDialog(options)
      return result.canceled || !result.filePath ? null : result.filePath
    },
    // The text is plain (main/shared/plain-line.ts; backup notices are ours).
    notify: ({ title, body }, onClick) => {
      if (!Notification.isSupported()) return false
      const shown = new Notification({ title, body })
      // Held until closed: a notification collected early loses its click handler.
      notifications.add(shown)
      shown.on('close', () => notifications.delete(shown))
      // Clicking it brings the window up on the screen that deals with it.
      shown.on('click', () => {
        notifications.delete(shown)
        if (mainWindow?.isMinimized()) mainWindow.restore()
        mainWindow?.focus()
        onClick()
      })
      shown.show()
      return true
    },
    documentsDir: app.getPath('documents'),
    userDataDir: app.getPath('userData'),
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
    // Asked in a native dialog: a renderer taken over by hostile content cannot answer it.
    confirmKeyDisclosure: async ({ title, detail, confirmLabel }) => {
      const options: Electron.MessageBoxOptions = {
        type: 'warning',
        title: 'Cairn',
        message: title,
        detail,
        buttons: [confirmLabel, 'Cancel'],
        defaultId: 1,
        cancelId: 1,
        noLink: true,
      }
      const { response } = mainWindow
        ? await dialog.showMessageBox(mainWindow, options)
        : await dialog.showMessageBox(options)
      return response === 0
    },
    openComposeWindow: (draftId) => {
      if (!composeWindows)
        throw new CairnError('WINDOWS_UNAVAILABLE', 'Cairn is still starting; try again.')
      composeWindows.show(draftId)
    },
  })
  context = ctx
  protocol.handle(
    APP_SCHEME,
    createUiHandler({
      rendererDir,
      origin: APP_ORIGIN,
      views: ctx.mailViews,
      chatFiles: ctx.chatFiles,
    }),
  )
  // Timers do not run while the machine sleeps: on wake, catch up on a missed backup now.
  powerMonitor.on('resume', () => {
    if (profile?.isOpen) profile.current.backups.wake()
  })
  const window = createMainWindow()
  mainWindow = window
  const ipc = serveElectronIpc({
    ipcMain,
    window,
    router: createRouter(ctx, { transport: 'electron' }),
  })
  // Compose windows: the same factory (preferences, preload, guards), the same contract.
  composeWindows = new ComposeWindows(createComposeWindow, (created) => ipc.addWindow(created))
  installMenu((command) => ctx.host.commands.emit('command', { command }))
  // `cairn backup` and `cairn restore` reach this app instead of failing on the profile lock.
  try {
    control = await serveAppControl(ctx, profileDir)
  } catch (error) {
    console.error('[app] the command line cannot reach this app:', describeError(error))
  }
  window.on('closed', () => {
    mainWindow = undefined
  })
}
