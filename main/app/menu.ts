import { Menu, shell, type MenuItemConstructorOptions } from 'electron'
import type { MenuCommand } from '../ipc/contract.js'

/** The application menu. Commands that belong to the UI go to it as 'app.command' events. */
export function installMenu(send: (command: MenuCommand) => void): void {
  const command = (name: MenuCommand) => () => send(name)
  const isMac = process.platform === 'darwin'
  const template: MenuItemConstructorOptions[] = [
    ...(isMac
      ? [
          {
            label: 'Cairn',
            submenu: [
              { role: 'about' as const },
              { type: 'separator' as const },
              { label: 'Settings…', accelerator: 'Cmd+,', click: command('open-settings') },
              { type: 'separator' as const },
              { role: 'hide' as const },
              { role: 'hideOthers' as const },
              { role: 'unhide' as const },
              { type: 'separator' as const },
              { role: 'quit' as const },
            ],
          },
        ]
      : []),
    {
      label: 'File',
      submenu: [
        { label: 'Import Mail…', accelerator: 'CmdOrCtrl+Shift+I', click: command('import-mail') },
        { label: 'Restore from a Backup…', click: command('open-restore') },
        ...(isMac
          ? []
          : [{ label: 'Settings…', accelerator: 'Ctrl+,', click: command('open-settings') }]),
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
