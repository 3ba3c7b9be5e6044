import type { SecretStore } from '../../keychain/keychain.js'
import {
  addNamedDestination,
  removeNamedDestination,
  type AddDestinationOutcome,
  type AddDestinationRequest,
} from './add-destination.js'
import type { Profile } from '../../profile/profile.js'
import { Emitter } from '../../shared/emitter.js'
import { CairnError } from '../../shared/errors.js'
import type { VaultRecordWatch } from '../../vault/record-check.js'
import { readBackupSettings, type BackupSettings } from '../backup-settings.js'
import { DEFAULT_RETENTION, type RetentionPolicy } from '../destination/retention.js'
import { parseBackupKey, type BackupKey } from '../key/backup-key.js'
import type { SchedulePolicy } from '../schedule/policy.js'
import type { BackupScheduler } from '../schedule/scheduler.js'
import {
  checkDestinationChoice,
  RETENTION_PRESETS,
  setDestination,
  setRetention,
  setSchedule,
  type DestinationChoice,
} from './backup-config.js'
import { defaultBackupDir, type FolderEnvironment } from './default-folder.js'
import {
  deleteHistoryEntry,
  destinationFor,
  listHistory,
  verifyHistoryEntry,
  type HistoryEntry,
  type VerifyOutcome,
} from './history.js'
import { KeyCustody } from './key-custody.js'
import { backupNotices, isFailing, overdueSince, type BackupNotice } from './notices.js'
import type { RecentBackupFolders } from './recent-folders.js'
import { readBackupUiState, updateBackupUiState } from './ui-state.js'

/** The backup settings as the settings screen edits them. */
export interface BackupSettingsView {
  configured: boolean
  destination: DestinationChoice | null
  /** Where backups go when the user picks nothing: CAIRN_BACKUP_DIR, else Documents/Cairn Backups. */
  defaultFolder: string
  schedule: SchedulePolicy | null
  retention: RetentionPolicy
  retentionPresets: typeof RETENTION_PRESETS
  /** The vault address to offer (CAIRN_VAULT_URL, else the profile's own vault). */
  defaultVaultUrl: string | null
}

/** The newest backup of this profile in its destination. */
export interface LastBackup {
  name: string
  size: number
  createdAt: string
}

export interface BackupHealth {
  lastBackup: LastBackup | null
  /** The last run failed, and its error code (what "fix it" opens depends on it). */
  failing: boolean
  lastErrorCode: string | null
  /** When the last success (or the schedule's start) was, if backups are overdue. */
  overdueSince: string | null
}

export type VerifyKey =
  { source: 'none' } | { source: 'keychain' } | { source: 'digits'; text: string }

export interface BackupManagerDeps {
  profile: Profile
  scheduler: BackupScheduler
  vaultRecord: VaultRecordWatch
  keychain: SecretStore
  env: NodeJS.ProcessEnv
  folders: FolderEnvironment
  recent: RecentBackupFolders
  /** Whether the mailbox holds anything (no "backups are off" notice on an empty first run). */
  hasMail: () => Promise<boolean>
  now?: () => Date
  /** How often notices are worked out again without an event (overdue is a matter of time). */
  noticeEveryMs?: number
}

export interface BackupManagerEvents {
  [name: string]: unknown
  /** Settings, key or history changed: screens load again. */
  changed: { what: 'settings' | 'key' | 'history' }
  notices: BackupNotice[]
}

/**
 * The backup manager of one open profile, for the app's screens: settings
 * (destination, schedule, retention), the key's custody, the history in
 * the destination (verify, delete), the health of backups (last one, its
 * size, failing, overdue) and the notices that follow from it. It calls the
 * engine's public functions and keeps its own notes in settings.json's
 * `backupUi` section; the renderer reaches it only through the contract.
 */
export class BackupManager {
  readonly events = new Emitter<BackupManagerEvents>()
  readonly keys: KeyCustody
  private last: LastBackup | null | undefined = undefined
  private currentNotices: BackupNotice[] = []
  private readonly offs: (() => void)[] = []
  private readonly timer: NodeJS.Timeout
  private refreshing: Promise<void> | null = null

  constructor(private readonly deps: BackupManagerDeps) {
    this.keys = new KeyCustody({
      profile: deps.profile,
      keychain: deps.keychain,
      env: deps.env,
      now: deps.now,
    })
    this.offs.push(
      deps.scheduler.events.on('finished', (outcome) => {
        updateBackupUiState(deps.profile, () => ({
          lastErrorCode: outcome.ok ? null : outcome.error.code,
        }))
        if (outcome.ok) {
          const settings = this.settings()
          if (settings?.destination) deps.recent.remember(settings.destination)
        }
        this.last = undefined
        this.events.emit('changed', { what: 'history' })
        void this.refreshNotices()
      }),
      deps.vaultRecord.onChange(() => void this.refreshNotices()),
    )
    this.timer = setInterval(() => void this.refreshNotices(), deps.noticeEveryMs ?? 60_000)
    this.timer.unref()
    void this.refreshNotices()
  }

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))()
  }

  private settings(): BackupSettings | null {
    return readBackupSettings(this.deps.profile)
  }

  settingsView(): BackupSettingsView {
    const settings = this.settings()
    return {
      configured: settings !== null,
      destination: settings?.destination ? { kind: 'folder', path: settings.destination } : null,
      defaultFolder: defaultBackupDir(this.deps.folders),
      schedule: settings?.schedule ?? null,
      retention: settings?.retention ?? DEFAULT_RETENTION,
      retentionPresets: RETENTION_PRESETS,
      defaultVaultUrl: this.deps.env.CAIRN_VAULT_URL?.trim() || settings?.vault?.url || null,
    }
  }

  /** Would this destination take backups? Nothing is created or saved. */
  checkDestination(choice: DestinationChoice): string {
    return checkDestinationChoice(this.deps.profile, choice)
  }

  /**
   * Save what the settings screen chose. Each part is checked before
   * anything is written (a folder that cannot take backups saves nothing);
   * the scheduler looks again at once.
   */
  configure(input: {
    destination?: DestinationChoice | null
    schedule?: SchedulePolicy | null
    retention?: RetentionPolicy
  }): BackupSettingsView {
    const { profile } = this.deps
    let destination = input.destination
    // No folder chosen but automatic backups switched on: the default folder.
    if (destination === undefined && input.schedule && !this.settings()?.destination)
      destination = { kind: 'folder', path: defaultBackupDir(this.deps.folders) }
    if (destination) setDestination(profile, destination)
    if (input.schedule !== undefined) setSchedule(profile, input.schedule, this.now())
    if (input.retention) setRetention(profile, input.retention)
    this.last = undefined
    this.deps.scheduler.wake()
    this.events.emit('changed', { what: 'settings' })
    void this.refreshNotices()
    return this.settingsView()
  }

  /**
   * Add a named destination (S3, WebDAV, SFTP, a folder) with a schedule of
   * its own, after its connection test passed; its secret goes to the
   * keychain. A failure (or an SFTP host key to trust first) is the answer.
   */
  async addDestination(request: AddDestinationRequest): Promise<AddDestinationOutcome> {
    const outcome = await addNamedDestination(
      this.deps.profile,
      this.deps.keychain,
      request,
      this.deps.env,
    )
    if (outcome.ok) this.settingsChanged()
    return outcome
  }

  /** Forget a named destination and its keychain secrets (its backups stay where they are). */
  removeDestination(name: string): void {
    removeNamedDestination(this.deps.profile, this.deps.keychain, name)
    this.settingsChanged()
  }

  private settingsChanged(): void {
    this.deps.scheduler.wake()
    this.events.emit('changed', { what: 'settings' })
  }

  /** The key changed (created, written down, put behind a password): screens and notices follow. */
  keyChanged(): void {
    this.last = undefined
    this.events.emit('changed', { what: 'key' })
    void this.refreshNotices()
  }

  async health(): Promise<BackupHealth> {
    const settings = this.settings()
    const ui = readBackupUiState(this.deps.profile)
    const overdue = overdueSince(settings, ui, this.now())
    return {
      lastBackup: await this.lastBackup(),
      failing: isFailing(settings),
      lastErrorCode: isFailing(settings) ? ui.lastErrorCode : null,
      overdueSince: overdue?.toISOString() ?? null,
    }
  }

  /** The newest complete backup of this profile in its destination (remembered until something changes). */
  private async lastBackup(): Promise<LastBackup | null> {
    if (this.last !== undefined) return this.last
    const settings = this.settings()
    if (!settings?.destination) return (this.last = null)
    try {
      const entries = await this.history()
      const newest = entries.find((e) => e.thisProfile && e.state === 'complete')
      this.last = newest
        ? { name: newest.name, size: newest.size, createdAt: newest.createdAt }
        : null
    } catch {
      return null // a destination that cannot be listed now: nothing to show, try again next time
    }
    return this.last
  }

  async history(): Promise<HistoryEntry[]> {
    const settings = this.settings()
    if (!settings?.destination) return []
    const destination = destinationFor(settings.destination)
    try {
      return await listHistory(destination, settings.destination, {
        id: this.deps.profile.id,
        fingerprint: settings.fingerprint,
      })
    } finally {
      await destination.close()
    }
  }

  async verify(name: string, key: VerifyKey): Promise<VerifyOutcome> {
    const settings = this.settings()
    if (!settings?.destination)
      throw new CairnError(
        'BACKUP_DESTINATION',
        'No backup folder is set, so there is nothing to verify.',
      )
    let opened: BackupKey | null = null
    if (key.source === 'digits') opened = parseBackupKey(key.text)
    else if (key.source === 'keychain') {
      // The key the backup's sidecar names (an older key stays in the keychain), else the profile's.
      const entry = (await this.history()).find((e) => e.name === name)
      const wanted = entry?.keyFingerprint ?? settings.fingerprint
      opened = this.keys.keyFromKeychain(wanted)
      if (!opened)
        throw new CairnError(
          'KEY_MISSING',
          `This computer's keychain has no key ${wanted}, which this backup was made with: type its 64 digits to check it.`,
        )
    }
    return verifyHistoryEntry(settings.destination, name, opened)
  }

  async delete(name: string): Promise<void> {
    const settings = this.settings()
    if (!settings?.destination)
      throw new CairnError(
        'BACKUP_DESTINATION',
        'No backup folder is set, so there is nothing to delete.',
      )
    const destination = destinationFor(settings.destination)
    try {
      await deleteHistoryEntry(destination, name)
    } finally {
      await destination.close()
    }
    this.last = undefined
    this.events.emit('changed', { what: 'history' })
  }

  /** The latest check of the profile's vault record (null before the first, or without one). */
  vaultStatus() {
    return this.deps.vaultRecord.latest()
  }

  notices(): BackupNotice[] {
    return this.currentNotices
  }

  /** Work notices out again; emits them when any changed. */
  refreshNotices(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const notices = backupNotices({
          settings: this.settings(),
          ui: readBackupUiState(this.deps.profile),
          vaultRecord: this.deps.vaultRecord.latest(),
          hasMail: await this.deps.hasMail().catch(() => false),
          now: this.now(),
        })
        const key = (list: BackupNotice[]) => list.map((n) => n.signature).join('\n')
        if (key(notices) !== key(this.currentNotices)) {
          this.currentNotices = notices
          this.events.emit('notices', notices)
        }
      } catch {
        // Settings being replaced (a restore): the next refresh sees the new ones.
      } finally {
        this.refreshing = null
      }
    })()
    return this.refreshing
  }

  close(): void {
    clearInterval(this.timer)
    for (const off of this.offs) off()
  }
}
