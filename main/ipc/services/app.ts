/** The host itself: who it is, what it can do beyond the contract, and menu commands for the UI. */
import { z } from 'zod'
import type { BackupScreen } from '../../backup/manager/notices.js'
import { defineService, event, method, returns } from '../define.js'

export interface AppInfo {
  version: string
  profileDir: string
  platform: string
  /** What the host can do beyond the contract: native dialogs and notifications exist only in the desktop app. */
  capabilities: {
    nativeDialogs: boolean
    /** A system picker for backup folders and files (else the path is typed). */
    pickBackupLocation: boolean
    /** Backup notices also appear as desktop notifications. */
    desktopNotifications: boolean
  }
}

/** A menu command (File > Import mail…) for the renderer to carry out. */
export interface AppCommand {
  command: 'import-mail' | 'find' | 'open-settings' | 'open-restore'
  /** For open-settings: which part of the backup settings (a clicked notification names it). */
  screen?: BackupScreen
}

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
  },
  events: {
    command: event<AppCommand>((ctx, emit) => ctx.host.commands.on('command', emit)),
  },
})
