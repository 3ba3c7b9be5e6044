/** The host itself: who it is, what it can do beyond the contract, and menu commands for the UI. */
import { z } from 'zod'
import type { BackupScreen } from '../../backup/manager/notices.js'
import { CairnError } from '../../shared/errors.js'
import { defineService, event, method, returns } from '../define.js'

export interface AppInfo {
  version: string
  profileDir: string
  platform: string
  /**
   * What the host can do beyond the contract: native dialogs and system
   * notifications exist only in the desktop app (the browser build shows
   * notices in the page instead, and paths are typed).
   */
  capabilities: {
    nativeDialogs: boolean
    /** A system picker for backup folders and files (else the path is typed). */
    pickBackupLocation: boolean
    /** Chat messages and backup notices also appear as system notifications. */
    systemNotifications: boolean
    /** Compose, reply, forward and drafts open in windows of their own (else a panel). */
    composeWindows: boolean
  }
}

/** What the application menu asks of the renderer (File > Import mail…, Settings…). */
export type MenuCommand = 'import-mail' | 'find' | 'open-settings' | 'open-restore'

/** A menu command or a clicked notification, for the renderer to carry out. */
export type AppCommand =
  | { command: Exclude<MenuCommand, 'open-settings'> }
  | {
      command: 'open-settings'
      /** Which part of the backup settings (a clicked backup notice names it). */
      screen?: BackupScreen
    }
  | { command: 'open-chat'; chatId: number }
  /** A clicked "not sent" notification: show the Outbox. */
  | { command: 'open-outbox' }

const none = z.object({}).strict()

export const appService = defineService({
  methods: {
    info: method({ input: none, output: returns<AppInfo>(), handle: (ctx) => ctx.info }),
    pickImportSources: method({
      input: none,
      output: returns<string[] | null>(),
      handle: async (ctx) => (ctx.host.pickImportSources ? ctx.host.pickImportSources() : null),
    }),
    /** The system picker for a backup folder or a backup to restore; null where there is none or on cancel. */
    pickBackupLocation: method({
      input: z.object({ purpose: z.enum(['destination', 'restore']) }).strict(),
      output: returns<string | null>(),
      handle: async (ctx, { purpose }) =>
        ctx.host.pickBackupLocation ? ctx.host.pickBackupLocation(purpose) : null,
    }),
    /** The draft's composer in a window of its own (desktop app); one window per draft. */
    openComposeWindow: method({
      input: z.object({ draftId: z.number().int().positive() }).strict(),
      output: returns<null>(),
      handle: (ctx, { draftId }) => {
        const open = ctx.host.openComposeWindow
        if (!open)
          throw new CairnError(
            'WINDOWS_UNAVAILABLE',
            'This version of Cairn writes mail in a panel beside the message list, not in a window.',
          )
        // DRAFT_NOT_FOUND (sent or discarded meanwhile) before any window opens.
        ctx.mailDesk.compose.get(draftId)
        open(draftId)
        return null
      },
    }),
  },
  events: {
    command: event<AppCommand>((ctx, emit) => ctx.host.commands.on('command', emit)),
  },
})
