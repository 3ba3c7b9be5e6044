import { join } from 'node:path'
import { readBackupSettings } from '../backup/backup-settings.js'
import { BackupManager } from '../backup/manager/backup-manager.js'
import { RecentBackupFolders } from '../backup/manager/recent-folders.js'
import { RestoreCoordinator } from '../backup/manager/restore-coordinator.js'
import type { BackupScheduler } from '../backup/schedule/scheduler.js'
import { testBackupTarget } from '../backup/schedule/test-target.js'
import type { ChatService } from '../chat/chat-service.js'
import { osKeychain } from '../keychain/keychain.js'
import { AccountSetup } from '../mail/accounts/account-setup.js'
import type { MailAccounts } from '../mail/mail-accounts.js'
import type { MailDesk } from '../mail/mail-desk.js'
import type { MailService } from '../mail/mail-service.js'
import { userDataDir } from '../profile/location.js'
import type { CairnServices } from '../services.js'
import { Emitter } from '../shared/emitter.js'
import { CairnError } from '../shared/errors.js'
import { APP_VERSION } from '../shared/version.js'
import { BackupActivity } from './backup-activity.js'
import { ChatFiles } from './chat-files.js'
import { MailViews } from './mail-views.js'
import { notifyNotSent } from './not-sent-notices.js'
import { ProfileSession } from './profile-session.js'
import type { AppCommand, AppInfo } from './services/app.js'

// A type alias, not an interface: Emitter wants an index signature.
export type HostEvents = { command: AppCommand }

/** What only the host (the desktop app or the browser build) can do or knows. */
export interface HostAdapter {
  /** A native picker for mbox files and folders; absent where the host has none. */
  pickImportSources?: () => Promise<string[] | null>
  /** A native picker for files to send in a chat; absent where the host has none. */
  pickChatFiles?: () => Promise<string[] | null>
  /** A native "Save as" dialog for a received file; the chosen path, or null when cancelled. */
  chooseSaveLocation?: (suggestedName: string) => Promise<string | null>
  /**
   * A system notification (plain text; chat messages, backup notices);
   * `onClick` runs when the user clicks it. Returns false when the system
   * cannot show one. Absent: notices are shown in the window only.
   */
  notify?: (notice: { title: string; body: string }, onClick: () => void) => boolean
  /**
   * A native picker for a backup folder ('destination'), or a backup file or
   * folder to restore from ('restore'); absent where the host has none (the
   * browser build, where the path is typed).
   */
  pickBackupLocation?: (purpose: 'destination' | 'restore') => Promise<string | null>
  /** The Documents folder as the OS knows it (Electron's app.getPath('documents')). */
  documentsDir?: string
  /** The per-user data folder (the last backup folders used are remembered there). */
  userDataDir?: string
  /** The environment the backup settings read (CAIRN_BACKUP_DIR, CAIRN_VAULT_URL, CAIRN_VAULT_CA). */
  env?: NodeJS.ProcessEnv
  /** A native folder picker (saving attachments); absent where the host has none. */
  pickFolder?: (title: string) => Promise<string | null>
  /** Open a file with the system's default application; absent in the browser build (it downloads). */
  openPath?: (path: string) => Promise<void>
  /**
   * Show a draft's composer in a window of its own (one per draft: an open
   * one is brought forward); absent in the browser build (a panel instead).
   */
  openComposeWindow?: (draftId: number) => void
  /**
   * Ask the user in a dialog of the host's own, outside the renderer, before
   * the backup key leaves main (shown, printed, sent to a vault): a renderer
   * taken over by hostile content can call any method, but cannot answer a
   * native dialog. Resolves true to go ahead. Absent where the host has no
   * UI outside the page (the browser build, which serves only loopback and
   * is its own trust boundary): the action then goes ahead.
   */
  confirmKeyDisclosure?: (request: KeyDisclosure) => Promise<boolean>
}

/** What the user is asked to confirm before the backup key leaves main. */
export interface KeyDisclosure {
  /** 'show': digits on screen; 'sheet': the printable recovery sheet; 'vault': kept by a vault server. */
  kind: 'show' | 'sheet' | 'vault'
  /** One line, a question ("Show your backup key?"). */
  title: string
  /** What happens, in words; names the vault's address for 'vault'. */
  detail: string
  /** The label of the button that goes ahead. */
  confirmLabel: string
}

/** What a service's handlers and event sources may use: one per host, built once. */
export interface ServiceContext {
  readonly info: AppInfo
  /** The services below follow the profile: after a restore they are those of the restored one. */
  readonly mail: MailService
  /** Mail accounts: settings and secrets, sync and its states, the outbox. */
  readonly mailAccounts: MailAccounts
  /** Adding an account from the setup screen (lookup, certificate questions, OAuth2). */
  readonly accountSetup: AccountSetup
  readonly mailDesk: MailDesk
  readonly backups: BackupScheduler
  readonly backupActivity: BackupActivity
  readonly backupManager: BackupManager
  /** The restore wizard's work; it outlives the services it closes and opens again. */
  readonly restores: RestoreCoordinator
  readonly mailViews: MailViews
  readonly chat: ChatService
  /** Files chosen to send and downloaded files shown, by capability. */
  readonly chatFiles: ChatFiles
  /** 'reopened' after a restore: the router subscribes the renderer's events again. */
  readonly profileEvents: Emitter<{ reopened: { reason: string } }>
  readonly host: HostAdapter & {
    /** Menu commands (and clicked notifications) for the renderer. */
    readonly commands: Emitter<HostEvents>
  }
}

export interface OwnedServiceContext extends ServiceContext {
  close(): void
}

/** Per open profile: what is built on the services and must be built again on the restored ones. */
interface Derived {
  backupActivity: BackupActivity
  backupManager: BackupManager
  accountSetup: AccountSetup
  close(): void
}

/**
 * The context both transports serve from; AppInfo is built here and nowhere
 * else. Given services (not a session), a session is made around them so a
 * restore can close and open them again.
 */
export function createServiceContext(
  source: CairnServices | ProfileSession,
  host: HostAdapter,
  open?: (profileDir: string) => CairnServices,
): OwnedServiceContext {
  const session =
    source instanceof ProfileSession
      ? source
      : new ProfileSession(
          source.profile.paths.dir,
          open ??
            (() => {
              throw new Error('This host cannot open a profile again.')
            }),
          source,
        )
  const env = host.env ?? process.env
  const folders = { env, documentsDir: host.documentsDir }
  const recent = new RecentBackupFolders(
    join(host.userDataDir ?? userDataDir(), 'recent-backup-folders.json'),
  )
  const keychain = osKeychain()
  const commands = new Emitter<HostEvents>()
  const profileEvents = new Emitter<{ reopened: { reason: string } }>()

  const derive = (services: CairnServices): Derived => {
    const backupActivity = new BackupActivity(
      services.backups,
      () => readBackupSettings(services.profile),
      (target) => testBackupTarget(target, services.profile.id, keychain),
    )
    const backupManager = new BackupManager({
      profile: services.profile,
      scheduler: services.backups,
      vaultRecord: services.vaultRecord,
      keychain,
      env,
      folders,
      recent,
      hasMail: async () => (await services.mail.overview()).messageCount > 0,
    })
    const shown = new Set<string>()
    const offNotices = backupManager.events.on('notices', (notices) => {
      // A desktop notification once per notice and content; the window shows them all the time.
      for (const notice of notices) {
        if (notice.severity === 'info' || shown.has(notice.signature)) continue
        shown.add(notice.signature)
        const screen = notice.action.screen
        host.notify?.({ title: notice.title, body: notice.message }, () =>
          commands.emit('command', { command: 'open-settings', screen }),
        )
      }
    })
    const offOutbox = notifyNotSent(services.mailAccounts.send, host, () =>
      commands.emit('command', { command: 'open-outbox' }),
    )
    const accountSetup = new AccountSetup(services.mailAccounts.accounts)
    return {
      backupActivity,
      backupManager,
      accountSetup,
      close() {
        offNotices()
        offOutbox()
        backupManager.close()
        backupActivity.close()
        accountSetup.close()
      },
    }
  }

  // Chat files are served from the profile's cache; the service behind them follows the profile.
  const chatFiles = new ChatFiles(session.current.profile.paths.cache, (id) =>
    session.current.chat.attachmentFile(id),
  )

  const mailViews = new MailViews({
    getMessage: (id) => session.current.mail.getMessage(id),
    attachmentContent: (messageId, attachmentId, limit) =>
      session.current.mail.attachmentContent(messageId, attachmentId, limit),
  })
  let derived: Derived | null = derive(session.current)
  const offClosing = session.events.on('closing', () => {
    derived?.close()
    derived = null
  })
  const offReopened = session.events.on('reopened', ({ reason }) => {
    derived = derive(session.current)
    mailViews.forgetAll()
    chatFiles.forgetViews()
    profileEvents.emit('reopened', { reason })
  })
  const current = (): Derived => {
    if (!derived)
      throw new CairnError(
        'PROFILE_UNAVAILABLE',
        'Cairn is replacing your profile with a backup; try again in a moment.',
      )
    return derived
  }

  const restores = new RestoreCoordinator({
    profileDir: session.profileDir,
    keychain,
    env,
    folders,
    recent,
    whileClosed: (work) => session.whileClosed('restore', work),
  })
  return {
    info: {
      version: APP_VERSION,
      profileDir: session.profileDir,
      platform: process.platform,
      capabilities: {
        nativeDialogs: host.pickImportSources !== undefined,
        pickBackupLocation: host.pickBackupLocation !== undefined,
        systemNotifications: host.notify !== undefined,
        composeWindows: host.openComposeWindow !== undefined,
      },
    },
    get mail() {
      return session.current.mail
    },
    get mailDesk() {
      return session.current.mailDesk
    },
    get mailAccounts() {
      return session.current.mailAccounts
    },
    get accountSetup() {
      return current().accountSetup
    },
    get backups() {
      return session.current.backups
    },
    get chat() {
      return session.current.chat
    },
    chatFiles,
    get backupActivity() {
      return current().backupActivity
    },
    get backupManager() {
      return current().backupManager
    },
    restores,
    mailViews,
    profileEvents,
    host: { ...host, commands },
    close: () => {
      offClosing()
      offReopened()
      restores.discard()
      derived?.close()
      derived = null
      chatFiles.close()
    },
  }
}
