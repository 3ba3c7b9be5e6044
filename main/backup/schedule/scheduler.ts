import { Emitter } from '../../shared/emitter.js'
import { CairnError, describeError, isCairnError } from '../../shared/errors.js'
import type { BackupSettings } from '../backup-settings.js'
import type { BackupProgress, BackupRequest, BackupResult } from '../run-backup.js'
import { nextDue, retryDelayMs } from './policy.js'

export interface SchedulerDeps {
  profileDir: string
  profileId: string
  /** The profile's backup settings, read afresh at every check. */
  settings(): BackupSettings | null
  /** Persist what happened (so a restart catches up from the right point). */
  record(
    update: Pick<BackupSettings, 'lastAttemptAt' | 'lastError'> & { lastSuccessAt?: string },
  ): void
  /** Runs one backup; in the app, in a worker thread. */
  run(request: BackupRequest): Promise<BackupResult>
  now?: () => Date
  /** How often to check whether a backup is due (and after waking from sleep). */
  checkEveryMs?: number
}

export type RunOutcome =
  { ok: true; result: BackupResult } | { ok: false; error: { code: string; message: string } }

export interface SchedulerEvents {
  [name: string]: unknown
  started: { trigger: 'schedule' | 'manual' }
  progress: BackupProgress
  finished: RunOutcome
}

export interface SchedulerStatus {
  running: boolean
  nextDueAt: string | null
  lastSuccessAt: string | null
  lastError: string | null
  consecutiveFailures: number
}

/**
 * Runs scheduled backups: one at a time, on the profile's policy, making up
 * missed runs after the app was closed or the machine slept (it checks the
 * clock every minute and on wake rather than trusting one long timer), and
 * retrying failures with a growing delay (5 min, 10, 20 … up to 6 h).
 */
export class BackupScheduler {
  readonly events = new Emitter<SchedulerEvents>()
  private timer: NodeJS.Timeout | null = null
  private running: Promise<RunOutcome> | null = null
  private controller: AbortController | null = null
  private failures = 0
  private lastFailureAt: Date | null = null

  constructor(private readonly deps: SchedulerDeps) {}

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))()
  }

  start(): void {
    if (this.timer) return
    this.timer = setInterval(() => this.check(), this.deps.checkEveryMs ?? 60_000)
    this.check()
  }

  /** Stop checking and cancel a running backup; resolves once it has stopped. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    this.controller?.abort()
    await this.running
  }

  /** Cancel the running backup, if any (it ends as 'finished' with BACKUP_CANCELLED); checking goes on. */
  cancel(): boolean {
    if (!this.controller) return false
    this.controller.abort()
    return true
  }

  /** The machine woke up, or settings changed: check now rather than at the next tick. */
  wake(): void {
    this.check()
  }

  status(): SchedulerStatus {
    const settings = this.deps.settings()
    return {
      running: this.running !== null,
      nextDueAt: settings ? (this.nextAttempt(settings)?.toISOString() ?? null) : null,
      lastSuccessAt: settings?.lastSuccessAt ?? null,
      lastError: settings?.lastError ?? null,
      consecutiveFailures: this.failures,
    }
  }

  /** Back up now, whatever the schedule; refused while a backup runs. */
  backupNow(): Promise<RunOutcome> {
    if (this.running)
      throw new CairnError('BACKUP_BUSY', 'A backup is already running; wait for it to finish.')
    const settings = this.deps.settings()
    if (!settings)
      throw new CairnError('BACKUP_NOT_CONFIGURED', 'Backups are not set up for this profile.')
    return this.launch(settings, 'manual')
  }

  /** When the next automatic attempt may start, or null without a schedule and destination. */
  private nextAttempt(settings: BackupSettings): Date | null {
    if (!settings.schedule || !settings.destination) return null
    const due = nextDue(
      settings.schedule,
      settings.lastSuccessAt ? new Date(settings.lastSuccessAt) : null,
      this.now(),
    )
    if (this.failures === 0 || !this.lastFailureAt) return due
    const retryAt = new Date(this.lastFailureAt.getTime() + retryDelayMs(this.failures))
    return retryAt > due ? retryAt : due
  }

  private check(): void {
    if (this.running) return
    const settings = this.deps.settings()
    if (!settings) return
    const next = this.nextAttempt(settings)
    if (next && next <= this.now()) void this.launch(settings, 'schedule')
  }

  private launch(settings: BackupSettings, trigger: 'schedule' | 'manual'): Promise<RunOutcome> {
    if (!settings.destination) {
      throw new CairnError('BACKUP_DESTINATION', 'Choose a folder for backups first.')
    }
    const controller = new AbortController()
    this.controller = controller
    const startedAt = this.now()
    this.events.emit('started', { trigger })
    const run = this.deps
      .run({
        profileDir: this.deps.profileDir,
        destinationDir: settings.destination,
        recipient: settings.recipient,
        keyFingerprint: settings.fingerprint,
        profileId: this.deps.profileId,
        vaultId: settings.vault?.recordId ?? null,
        retention: settings.retention,
        signal: controller.signal,
        onProgress: (progress) => this.events.emit('progress', progress),
      })
      .then(
        (result): RunOutcome => {
          this.failures = 0
          this.lastFailureAt = null
          this.deps.record({
            lastAttemptAt: startedAt.toISOString(),
            lastSuccessAt: result.createdAt,
            lastError: null,
          })
          return { ok: true, result }
        },
        (error: unknown): RunOutcome => {
          const failure = isCairnError(error)
            ? error
            : new CairnError('INTERNAL', describeError(error))
          if (failure.code !== 'BACKUP_CANCELLED') {
            this.failures += 1
            this.lastFailureAt = this.now()
          }
          this.deps.record({ lastAttemptAt: startedAt.toISOString(), lastError: failure.message })
          return { ok: false, error: { code: failure.code, message: failure.message } }
        },
      )
      .then((outcome) => {
        this.running = null
        this.controller = null
        this.events.emit('finished', outcome)
        return outcome
      })
    this.running = run
    return run
  }
}
