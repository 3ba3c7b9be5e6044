import { Menu, shell, type BrowserWindow, type MenuItemConstructorOptions } from 'electron'
import { IPC_EVENT_CHANNEL, type EventPayloads } from '../ipc/contract.js'

/** The application menu. Commands that belong to the UI are sent to it as 'app.command' events. */
export function installMenu(window: BrowserWindow): void {
  const command = (name: EventPayloads['app.command']['command']) => () => {
    if (!window.isDestroyed())
      window.webContents.send(IPC_EVENT_CHANNEL, 'app.command', { command: name })
  }
  const isMac = process.platform === 'darwin'
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Import Mail…', accelerator: 'CmdOrCtrl+Shift+I', click: command('import-mail') },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { label: 'Find in Mail', accelerator: 'CmdOrCtrl+F', click: command('find') },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        {
          label: 'Cairn on the Web',
          click: () => void shell.openExternal('https://github.com/cairn-mail/cairn'),
        },
      ],
    },
  ]
  Menu.setApplicationMenu(Menu.buildFromTemplate(template))
}
