/**
 * A stand-in for the parts of the `electron` module that main/app uses,
 * for tests that load the real main/app code under Node (vi.mock('electron')).
 * It records what the app asks of Electron and lets a test act as Electron:
 * make the app ready, create webContents, send IPC calls, click menu items.
 * The Electron binary cannot run on these machines; this is the boundary.
 */
import { EventEmitter } from 'node:events'

export interface PreventableEvent {
  defaultPrevented: boolean
  preventDefault(): void
}

export function preventable<T extends object>(fields: T): T & PreventableEvent {
  return Object.assign(
    {
      defaultPrevented: false,
      preventDefault(this: PreventableEvent) {
        this.defaultPrevented = true
      },
    },
    fields,
  )
}

export class FakeFrame {
  constructor(
    public url: string,
    public parent: FakeFrame | null = null,
  ) {}
}

export class FakeWebContents extends EventEmitter {
  readonly mainFrame = new FakeFrame('about:blank')
  readonly sent: unknown[][] = []
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null
  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, ...args])
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler
  }
  isDestroyed(): boolean {
    return false
  }
}

export class FakeSession extends EventEmitter {
  permissionRequestHandler: ((...args: unknown[]) => void) | null = null
  permissionCheckHandler: ((...args: unknown[]) => boolean) | null = null
  devicePermissionHandler: ((...args: unknown[]) => boolean) | null = null
  spellChecker: boolean = true
  setPermissionRequestHandler(handler: (...args: unknown[]) => void) {
    this.permissionRequestHandler = handler
  }
  setPermissionCheckHandler(handler: (...args: unknown[]) => boolean) {
    this.permissionCheckHandler = handler
  }
  setDevicePermissionHandler(handler: (...args: unknown[]) => boolean) {
    this.devicePermissionHandler = handler
  }
  setSpellCheckerEnabled(enabled: boolean) {
    this.spellChecker = enabled
  }
}

export interface MenuItem {
  label?: string
  role?: string
  click?: () => void
  submenu?: MenuItem[]
}

function createElectron() {
  let markReady: () => void = () => undefined
  const readyPromise = new Promise<void>((resolve) => (markReady = resolve))
  const record = {
    ready: false,
    privilegedSchemes: [] as { schemes: unknown; beforeReady: boolean }[],
    protocolHandlers: new Map<string, (request: Request) => Promise<Response> | Response>(),
    ipcHandlers: new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>(),
    removedIpcHandlers: [] as string[],
    windows: [] as FakeBrowserWindow[],
    openedExternally: [] as string[],
    errorBoxes: [] as string[],
    messageBoxes: [] as { message: string; buttons: string[] }[],
    /** The button a native message box answers with (0: go ahead; 1: Cancel). */
    messageBoxAnswer: 1,
    menu: null as MenuItem[] | null,
    quits: 0,
    userData: '',
    documents: '',
    notifications: [] as FakeNotification[],
  }

  const app = Object.assign(new EventEmitter(), {
    requestSingleInstanceLock: () => true,
    whenReady: () => readyPromise,
    isReady: () => record.ready,
    getPath: (name: string) => {
      if (name === 'userData') return record.userData
      if (name === 'documents') return record.documents
      throw new Error(`getPath(${name}) is not used by Cairn`)
    },
    getVersion: () => '0.0.0-stand-in',
    quit: () => {
      record.quits += 1
    },
    exit: (code: number) => {
      throw new Error(`app.exit(${code})`)
    },
  })

  const defaultSession = new FakeSession()

  class FakeBrowserWindow extends EventEmitter {
    readonly webContents = new FakeWebContents()
    loadedUrl: string | null = null
    destroyed = false
    constructor(readonly options: { webPreferences?: Record<string, unknown> }) {
      super()
      record.windows.push(this)
      app.emit('web-contents-created', preventable({}), this.webContents)
    }
    loadURL(url: string): Promise<void> {
      this.loadedUrl = url
      this.webContents.mainFrame.url = url
      return Promise.resolve()
    }
    loadFile(): Promise<void> {
      throw new Error('Cairn loads its UI from the app: scheme, never from a file')
    }
    isDestroyed() {
      return this.destroyed
    }
    isMinimized() {
      return false
    }
    /** How often the app brought this window forward. */
    focusCount = 0
    show() {}
    focus() {
      this.focusCount += 1
    }
    restore() {}
    close() {
      this.destroyed = true
      this.emit('closed')
    }
  }

  /** A desktop notification: recorded when shown; a test clicks it as the user would. */
  class FakeNotification extends EventEmitter {
    static isSupported() {
      return true
    }
    shown = false
    constructor(readonly options: { title: string; body: string }) {
      super()
    }
    show() {
      this.shown = true
      record.notifications.push(this)
    }
    click() {
      this.emit('click')
    }
  }

  const electron = {
    app,
    Notification: FakeNotification,
    BrowserWindow: FakeBrowserWindow,
    session: { defaultSession },
    protocol: {
      registerSchemesAsPrivileged(schemes: unknown) {
        record.privilegedSchemes.push({ schemes, beforeReady: !record.ready })
      },
      handle(scheme: string, handler: (request: Request) => Promise<Response> | Response) {
        if (!record.ready) throw new Error('protocol.handle before the app is ready')
        record.protocolHandlers.set(scheme, handler)
      },
    },
    ipcMain: {
      handle(channel: string, handler: (event: unknown, ...args: unknown[]) => Promise<unknown>) {
        if (record.ipcHandlers.has(channel)) throw new Error(`a second handler for ${channel}`)
        record.ipcHandlers.set(channel, handler)
      },
      removeHandler(channel: string) {
        record.ipcHandlers.delete(channel)
        record.removedIpcHandlers.push(channel)
      },
    },
    dialog: {
      showErrorBox(title: string, content: string) {
        record.errorBoxes.push(`${title}: ${content}`)
      },
      showOpenDialog: () => Promise.resolve({ canceled: true, filePaths: [] }),
      /** Records the question; answers with record.messageBoxAnswer (0: the first button). */
      showMessageBox(...args: unknown[]) {
        const options = args.at(-1) as { message: string; buttons: string[] }
        record.messageBoxes.push({ message: options.message, buttons: options.buttons })
        return Promise.resolve({ response: record.messageBoxAnswer, checkboxChecked: false })
      },
    },
    powerMonitor: new EventEmitter(),
    shell: {
      openExternal(url: string) {
        record.openedExternally.push(url)
        return Promise.resolve()
      },
    },
    Menu: {
      buildFromTemplate: (template: MenuItem[]) => template,
      setApplicationMenu(menu: MenuItem[]) {
        record.menu = menu
      },
    },
  }

  return {
    electron,
    record,
    defaultSession,
    /** Electron finished starting: whenReady resolves. */
    ready() {
      record.ready = true
      markReady()
    },
    FakeBrowserWindow,
  }
}

export type ElectronStandIn = ReturnType<typeof createElectron>

/** One stand-in per test file (vi.mock shares the module within a file). */
export const standIn: ElectronStandIn = createElectron()
