import { readBackupSettings } from '../backup/backup-settings.js'
import type { BackupScheduler } from '../backup/schedule/scheduler.js'
import type { ChatService } from '../chat/chat-service.js'
import type { MailService } from '../mail/mail-service.js'
import type { CairnServices } from '../services.js'
import { Emitter } from '../shared/emitter.js'
import { APP_VERSION } from '../shared/version.js'
import { BackupActivity } from './backup-activity.js'
import { ChatFiles } from './chat-files.js'
import { MailViews } from './mail-views.js'
import type { AppCommand, AppInfo } from './services/app.js'

// A type alias, not an interface: Emitter wants an index signature.
export type HostEvents = { command: AppCommand }

/** What only the host (the desktop app or the browser build) can do. */
export interface HostAdapter {
  /** A native picker for mbox files and folders; absent where the host has none. */
  pickImportSources?: () => Promise<string[] | null>
  /** A native picker for files to send in a chat; absent where the host has none. */
  pickChatFiles?: () => Promise<string[] | null>
  /** A native "Save as" dialog for a received file; the chosen path, or null when cancelled. */
  chooseSaveLocation?: (suggestedName: string) => Promise<string | null>
  /**
   * A system notification (plain text); `onClick` runs when the user
   * clicks it. Returns false when the system cannot show one.
   */
  notify?: (notice: { title: string; body: string }, onClick: () => void) => boolean
}

/** What a service's handlers and event sources may use: one per host, built once. */
export interface ServiceContext {
  readonly info: AppInfo
  readonly mail: MailService
  readonly backups: BackupScheduler
  readonly backupActivity: BackupActivity
  readonly mailViews: MailViews
  readonly chat: ChatService
  /** Files chosen to send and downloaded files shown, by capability. */
  readonly chatFiles: ChatFiles
  readonly host: HostAdapter & {
    /** Menu commands for the renderer (the desktop menu emits them). */
    readonly commands: Emitter<HostEvents>
  }
}

export interface OwnedServiceContext extends ServiceContext {
  close(): void
}

/** The context both transports serve from; AppInfo is built here and nowhere else. */
export function createServiceContext(
  services: CairnServices,
  host: HostAdapter,
): OwnedServiceContext {
  const backupActivity = new BackupActivity(services.backups, () =>
    readBackupSettings(services.profile),
  )
  const chatFiles = new ChatFiles(services.profile.paths.cache, (id) =>
    services.chat.attachmentFile(id),
  )
  return {
    info: {
      version: APP_VERSION,
      profileDir: services.profile.paths.dir,
      platform: process.platform,
      capabilities: {
        nativeDialogs: host.pickImportSources !== undefined,
        systemNotifications: host.notify !== undefined,
      },
    },
    mail: services.mail,
    backups: services.backups,
    backupActivity,
    mailViews: new MailViews(services.mail),
    chat: services.chat,
    chatFiles,
    host: { ...host, commands: new Emitter<HostEvents>() },
    close: () => {
      backupActivity.close()
      chatFiles.close()
    },
  }
}
