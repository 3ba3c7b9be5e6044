import { app, dialog, ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, type Envelope } from '../ipc/contract.js'
import { dispatch } from '../ipc/dispatch.js'
import { forwardEvents } from '../ipc/events.js'
import { createHandlers } from '../ipc/handlers.js'
import type { CairnServices } from '../services.js'
import { rendererUrl } from './window.js'

/**
 * Serve the contract over Electron IPC. Calls are accepted only from the
 * main frame of our own window showing our own page; anything else (an
 * iframe, a page that navigated away) gets an error without reaching a
 * service.
 */
export function registerIpc(services: CairnServices, window: BrowserWindow): void {
  const handlers = createHandlers(
    { profileDir: services.profile.paths.dir, mail: services.mail },
    {
      info: {
        version: app.getVersion(),
        platform: process.platform,
        capabilities: { nativeDialogs: true },
      },
      pickImportSources: async () => {
        const result = await dialog.showOpenDialog(window, {
          title: 'Import mail',
          buttonLabel: 'Import',
          properties: ['openFile', 'openDirectory', 'multiSelections'],
          filters: [{ name: 'Mail (mbox, eml)', extensions: ['mbox', 'mbx', 'eml', '*'] }],
        })
        return result.canceled ? null : result.filePaths
      },
    },
  )
  ipcMain.handle(
    IPC_CALL_CHANNEL,
    async (event, method: unknown, input: unknown): Promise<Envelope<unknown>> => {
      if (!isTrustedSender(event, window)) {
        return {
          ok: false,
          error: {
            code: 'INVALID_ARGUMENT',
            message: 'Calls are accepted only from the Cairn window.',
          },
        }
      }
      return dispatch(handlers, method, input)
    },
  )
  const stop = forwardEvents(services, (name, payload) => {
    if (!window.isDestroyed()) window.webContents.send(IPC_EVENT_CHANNEL, name, payload)
  })
  window.on('closed', () => {
    stop()
    ipcMain.removeHandler(IPC_CALL_CHANNEL)
  })
}

function isTrustedSender(event: IpcMainInvokeEvent, window: BrowserWindow): boolean {
  const frame = event.senderFrame
  return (
    !window.isDestroyed() &&
    event.sender === window.webContents &&
    frame !== null &&
    frame === window.webContents.mainFrame &&
    frame.url === rendererUrl
  )
}
