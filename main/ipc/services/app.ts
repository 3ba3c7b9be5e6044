/** The host itself: who it is, what it can do beyond the contract, and menu commands for the UI. */
import { z } from 'zod'
import { defineService, event, method, returns } from '../define.js'

export interface AppInfo {
  version: string
  profileDir: string
  platform: string
  /**
   * What the host can do beyond the contract: native file dialogs and
   * system notifications exist only in the desktop app (the browser build
   * shows notices in the page instead).
   */
  capabilities: { nativeDialogs: boolean; systemNotifications: boolean }
}

/** What the application menu asks of the renderer (File > Import mail…). */
export type MenuCommand = 'import-mail' | 'find'

/** A menu command, or a chat notification the user clicked, for the renderer to carry out. */
export type AppCommand = { command: MenuCommand } | { command: 'open-chat'; chatId: number }

const none = z.object({}).strict()

export const appService = defineService({
  methods: {
    info: method({ input: none, output: returns<AppInfo>(), handle: (ctx) => ctx.info }),
    pickImportSources: method({
      input: none,
      output: returns<string[] | null>(),
      handle: async (ctx) => (ctx.host.pickImportSources ? ctx.host.pickImportSources() : null),
    }),
  },
  events: {
    command: event<AppCommand>((ctx, emit) => ctx.host.commands.on('command', emit)),
  },
})
