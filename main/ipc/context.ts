import { readBackupSettings } from '../backup/backup-settings.js'
import type { BackupScheduler } from '../backup/schedule/scheduler.js'
import type { MailDesk } from '../mail/mail-desk.js'
import type { MailService } from '../mail/mail-service.js'
import type { CairnServices } from '../services.js'
import { Emitter } from '../shared/emitter.js'
import { APP_VERSION } from '../shared/version.js'
import { BackupActivity } from './backup-activity.js'
import { MailViews } from './mail-views.js'
import type { AppCommand, AppInfo } from './services/app.js'

// A type alias, not an interface: Emitter wants an index signature.
export type HostEvents = { command: AppCommand }

/** What only the host (the desktop app or the browser build) can do. */
export interface HostAdapter {
  /** A native picker for mbox files and folders; absent where the host has none. */
  pickImportSources?: () => Promise<string[] | null>
  /** A native folder picker (saving attachments); absent where the host has none. */
  pickFolder?: (title: string) => Promise<string | null>
  /** Open a file with the system's default application; absent in the browser build (it downloads). */
  openPath?: (path: string) => Promise<void>
}

/** What a service's handlers and event sources may use: one per host, built once. */
export interface ServiceContext {
  readonly info: AppInfo
  readonly mail: MailService
  readonly mailDesk: MailDesk
  readonly backups: BackupScheduler
  readonly backupActivity: BackupActivity
  readonly mailViews: MailViews
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
  return {
    info: {
      version: APP_VERSION,
      profileDir: services.profile.paths.dir,
      platform: process.platform,
      capabilities: { nativeDialogs: host.pickImportSources !== undefined },
    },
    mail: services.mail,
    mailDesk: services.mailDesk,
    backups: services.backups,
    backupActivity,
    mailViews: new MailViews(services.mail),
    host: { ...host, commands: new Emitter<HostEvents>() },
    close: () => backupActivity.close(),
  }
}
