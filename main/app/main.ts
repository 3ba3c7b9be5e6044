/**
 * The Electron main process: the only code that imports 'electron'. It
 * opens the profile's services, creates the window and wires IPC to the
 * shared dispatcher; everything else lives in plain Node modules below main/.
 */
import { app, dialog, powerMonitor, session, type BrowserWindow } from 'electron'
import { join } from 'node:path'
import { cliArgsOf, runCliInApp } from '../cli/app-mode.js'
import { resolveProfileDir } from '../profile/location.js'
import { openServices, type CairnServices } from '../services.js'
import { describeError } from '../shared/errors.js'
import { registerIpc } from './ipc.js'
import { installMenu } from './menu.js'
import { createMainWindow } from './window.js'

let services: CairnServices | undefined
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
    void closing.close().finally(() => app.quit())
  })
  void app.whenReady().then(start)
}

async function start(): Promise<void> {
  // No web permissions (camera, notifications, geolocation…) for any page.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) =>
    callback(false),
  )

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
  // Timers do not run while the machine sleeps: on wake, catch up on a missed backup now.
  powerMonitor.on('resume', () => services?.backups.wake())
  mainWindow = createMainWindow()
  registerIpc(services, mainWindow)
  installMenu(mainWindow)
  mainWindow.on('closed', () => {
    mainWindow = undefined
  })
}
