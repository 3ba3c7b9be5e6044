/**
 * The contract over Electron IPC, without importing Electron: main/app
 * passes in `ipcMain` and the window, tests pass stand-ins of the same
 * shape. Calls are accepted only from the main frame of our own window
 * showing our own page; anything else (an iframe, a page that navigated
 * away, another window) is refused with a coded error, logged, and never
 * reaches a service.
 */
import type { ErrorCode } from '../shared/errors.js'
import { APP_ORIGIN, isAppPage } from './app-protocol.js'
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, type Envelope } from './bridge.js'
import type { Router } from './router.js'

/** The parts of Electron's WebFrameMain looked at here. */
export interface FrameLike {
  readonly url: string
  readonly parent: FrameLike | null
}

/** The parts of Electron's IpcMainInvokeEvent looked at here. */
export interface InvokeEventLike {
  readonly sender: unknown
  readonly senderFrame: FrameLike | null
}

export interface IpcMainLike {
  handle(
    channel: string,
    listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>,
  ): void
  removeHandler(channel: string): void
}

export interface WindowLike {
  readonly webContents: {
    readonly mainFrame: FrameLike
    send(channel: string, ...args: unknown[]): void
  }
  isDestroyed(): boolean
  on(event: 'closed', listener: () => void): unknown
}

/** Why a sender may not call the contract, or null if it may. */
export function senderRefusal(
  event: InvokeEventLike,
  windows: WindowLike | Iterable<WindowLike>,
  origin: string = APP_ORIGIN,
): { code: ErrorCode; message: string } | null {
  const candidates = Symbol.iterator in windows ? [...windows] : [windows]
  const window = candidates.find((w) => !w.isDestroyed() && event.sender === w.webContents)
  if (!window)
    return { code: 'FORBIDDEN_SENDER', message: 'Calls are accepted only from the Cairn window.' }
  const frame = event.senderFrame
  if (frame === null || frame !== window.webContents.mainFrame || frame.parent !== null)
    return {
      code: 'FORBIDDEN_SENDER',
      message: 'Calls are accepted only from the main frame of the Cairn window.',
    }
  if (!isAppPage(frame.url, origin))
    return { code: 'FORBIDDEN_SENDER', message: 'Calls are accepted only from the Cairn page.' }
  return null
}

/** The contract served over IPC to the app's windows. */
export interface ElectronIpc {
  /** Serve one more window of the app (a compose window) until it closes. */
  addWindow(window: WindowLike): void
  /** Stop serving every window (also done when the last one closes). */
  stop(): void
}

/**
 * Serve the contract over IPC to `window` and to every window added later,
 * and send each of them every event. One handler serves them all (Electron
 * allows one per channel); it checks which of our windows is calling.
 * Undone when the last window closes.
 */
export function serveElectronIpc(options: {
  ipcMain: IpcMainLike
  window: WindowLike
  router: Router
  origin?: string
}): ElectronIpc {
  const { ipcMain, router } = options
  const origin = options.origin ?? APP_ORIGIN
  const windows = new Set<WindowLike>()
  ipcMain.handle(IPC_CALL_CHANNEL, async (event, method, input): Promise<Envelope<unknown>> => {
    const refusal = senderRefusal(event, windows, origin)
    if (refusal) return router.refuse(method, refusal.code, refusal.message)
    return router.call(method, input)
  })
  const stopEvents = router.subscribe((name, payload) => {
    // Only to our own pages: after a navigation (which the guards prevent) nothing is sent.
    for (const window of windows)
      if (!window.isDestroyed() && isAppPage(window.webContents.mainFrame.url, origin))
        window.webContents.send(IPC_EVENT_CHANNEL, name, payload)
  })
  let stopped = false
  const stop = () => {
    if (stopped) return
    stopped = true
    windows.clear()
    stopEvents()
    ipcMain.removeHandler(IPC_CALL_CHANNEL)
  }
  const addWindow = (window: WindowLike) => {
    if (stopped) throw new Error('The contract is no longer served over IPC.')
    windows.add(window)
    window.on('closed', () => {
      windows.delete(window)
      if (windows.size === 0) stop()
    })
  }
  addWindow(options.window)
  return { addWindow, stop }
}
