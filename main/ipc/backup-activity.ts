import type { BackupSettings } from '../backup/backup-settings.js'
import type { BackupScheduler } from '../backup/schedule/scheduler.js'
import type { BackupProgressView, BackupStatus } from './services/backup.js'

/**
 * The backup scheduler as the renderer needs it: its status joined with
 * the profile's backup settings and the progress of the run under way (so
 * a screen opened mid-run shows how far it is, not a blank bar until the
 * next progress event).
 */
export class BackupActivity {
  private current: { trigger: 'schedule' | 'manual'; progress: BackupProgressView | null } | null =
    null
  private readonly offs: (() => void)[]

  constructor(
    private readonly scheduler: BackupScheduler,
    private readonly settings: () => BackupSettings | null,
  ) {
    this.offs = [
      scheduler.events.on('started', ({ trigger }) => {
        this.current = { trigger, progress: null }
      }),
      scheduler.events.on('progress', ({ phase, bytesDone, bytesTotal }) => {
        if (this.current) this.current.progress = { phase, bytesDone, bytesTotal }
      }),
      scheduler.events.on('finished', () => {
        this.current = null
      }),
    ]
  }

  /** The scheduler's side of the status (the backup manager adds health and notices). */
  status(): Omit<BackupStatus, 'health' | 'notices'> {
    const settings = this.settings()
    const status = this.scheduler.status()
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
      lastAttemptAt: settings?.lastAttemptAt ?? null,
      lastError: status.lastError,
      consecutiveFailures: status.consecutiveFailures,
    }
  }

  /**
   * Start a backup now. Refusals (one is running, backups not set up, no
   * destination) throw their coded error to the caller; the outcome arrives
   * as the scheduler's 'finished' event.
   */
  runNow(): void {
    this.scheduler.backupNow().catch((error: unknown) => {
      console.error('[backup] a manual backup failed outside its run:', error)
    })
  }

  close(): void {
    for (const off of this.offs) off()
  }
}
