import type { BackupSettings } from '../backup/backup-settings.js'
import type { BackupScheduler } from '../backup/schedule/scheduler.js'
import type { BackupTarget } from '../backup/schedule/targets.js'
import type { ConnectionTest } from '../backup/schedule/test-target.js'
import type { BackupProgressView, BackupStatus } from './services/backup.js'

/**
 * The backup scheduler as the renderer needs it: its status joined with
 * the profile's backup settings and the progress of the run under way (so
 * a screen opened mid-run shows how far it is, not a blank bar until the
 * next progress event), overall and per destination.
 */
export class BackupActivity {
  private current: {
    trigger: 'schedule' | 'manual'
    target: string
    progress: BackupProgressView | null
  } | null = null
  private readonly offs: (() => void)[]

  constructor(
    private readonly scheduler: BackupScheduler,
    private readonly settings: () => BackupSettings | null,
    /** Runs a destination's connection test (its secrets from the keychain). */
    private readonly testTarget: (target: BackupTarget | undefined) => Promise<ConnectionTest>,
  ) {
    this.offs = [
      scheduler.events.on('started', ({ trigger, target }) => {
        this.current = { trigger, target, progress: null }
      }),
      scheduler.events.on('progress', ({ phase, bytesDone, bytesTotal }) => {
        if (this.current) this.current.progress = { phase, bytesDone, bytesTotal }
      }),
      scheduler.events.on('finished', ({ target }) => {
        if (this.current?.target === target) this.current = null
      }),
    ]
  }

  /** The scheduler's side of the status (the backup manager adds health and notices). */
  status(): Omit<BackupStatus, 'health' | 'notices'> {
    const settings = this.settings()
    const status = this.scheduler.status()
    const primary = status.destinations.find((d) => d.id === 'profile')
    return {
      configured: settings !== null,
      custody: settings?.custody ?? null,
      destination: settings?.destination ?? null,
      schedule: settings?.schedule ?? null,
      running: status.running,
      trigger: status.running ? (this.current?.trigger ?? null) : null,
      progress: status.running ? (this.current?.progress ?? null) : null,
      nextRunAt: status.nextDueAt,
      lastSuccessAt: status.lastSuccessAt,
      lastAttemptAt: settings?.lastAttemptAt ?? primary?.lastAttemptAt ?? null,
      lastError: status.lastError,
      consecutiveFailures: status.consecutiveFailures,
      destinations: status.destinations.map((d) => ({
        id: d.id,
        name: d.name,
        kind: d.kind,
        location: d.location,
        schedule: d.schedule,
        retention: d.retention,
        running: d.running,
        progress: d.running && this.current?.target === d.id ? this.current.progress : null,
        nextRunAt: d.nextDueAt,
        lastSuccessAt: d.lastSuccessAt,
        lastAttemptAt: d.lastAttemptAt,
        lastError: d.lastError,
        consecutiveFailures: d.consecutiveFailures,
      })),
    }
  }

  /**
   * Start a backup now (to every destination, or to `destination` only;
   * with `full`, a new chain rather than an incremental link).
   * Refusals (one is running, backups not set up, no destination) throw
   * their coded error to the caller; the outcome arrives as the
   * scheduler's 'finished' events.
   */
  runNow(destination?: string, options: { full?: boolean } = {}): void {
    this.scheduler.backupNow(destination, options).catch((error: unknown) => {
      console.error('[backup] a manual backup failed outside its run:', error)
    })
  }

  /** "Test connection" for one destination (an id from status().destinations). */
  testConnection(destination: string): Promise<ConnectionTest> {
    return this.testTarget(this.scheduler.target(destination))
  }

  close(): void {
    for (const off of this.offs) off()
  }
}
