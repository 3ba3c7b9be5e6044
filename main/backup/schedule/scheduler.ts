import { Emitter } from '../../shared/emitter.js'
import { CairnError, describeError, isCairnError } from '../../shared/errors.js'
import type { BackupSettings } from '../backup-settings.js'
import type { NamedDestinations } from '../destination/resolve.js'
import type { BackupProgress, BackupRequest, BackupResult } from '../run-backup.js'
import { nextDue, retryDelayMs } from './policy.js'
import { backupTargets, PROFILE_TARGET, type BackupTarget } from './targets.js'

export type RunRecord = Pick<BackupSettings, 'lastAttemptAt' | 'lastError'> & {
  lastSuccessAt?: string
}

export interface SchedulerDeps {
  profileDir: string
  profileId: string
  /** The profile's backup settings, read afresh at every check. */
  settings(): BackupSettings | null
  /** The profile's named destinations (those with a schedule are backed up too), read afresh. */
  destinations?(): NamedDestinations
  /**
   * Persist what a run did (so a restart catches up from the right point):
   * for the profile's destination in the backup section, for a named one
   * in its entry.
   */
  record(update: RunRecord, target: BackupTarget): void
  /** Runs one backup; in the app, in a worker thread. */
  run(request: BackupRequest): Promise<BackupResult>
  now?: () => Date
  /** How often to check whether a backup is due (and after waking from sleep). */
  checkEveryMs?: number
  /** For the jitter on retry delays (tests pin it). */
  random?: () => number
}

export type RunOutcome =
  | { ok: true; result: BackupResult; target?: string }
  | { ok: false; error: { code: string; message: string }; target?: string }

export interface SchedulerEvents {
  [name: string]: unknown
  started: { trigger: 'schedule' | 'manual'; target: string }
  progress: BackupProgress & { target: string }
  finished: RunOutcome & { target: string }
}

/** One destination as the scheduler sees it now. */
export interface TargetStatus {
  id: string
  name: string | null
  kind: BackupTarget['kind']
  location: string
  schedule: BackupTarget['schedule']
  retention: BackupTarget['retention']
  running: boolean
  nextDueAt: string | null
  lastSuccessAt: string | null
  lastAttemptAt: string | null
  lastError: string | null
  consecutiveFailures: number
}

export interface SchedulerStatus {
  running: boolean
  /** The profile's own destination (what the single-destination screens show). */
  nextDueAt: string | null
  lastSuccessAt: string | null
  lastError: string | null
  consecutiveFailures: number
  /** The destination being backed up to now, if any. */
  current: { target: string; trigger: 'schedule' | 'manual' } | null
  /** Every destination: the profile's own first, then named ones with a schedule. */
  destinations: TargetStatus[]
}

/** Failures in a row per destination, and when the next try may start. */
interface Failures {
  count: number
  retryAt: Date
}

/**
 * Runs scheduled backups to each of the profile's destinations: one backup
 * at a time, each destination on its own policy with its own retention and
 * record, making up missed runs after the app was closed or the machine
 * slept (it checks the clock every minute and on wake rather than trusting
 * one long timer). A failure is retried after a growing delay (5 min, 10,
 * 20 … up to 6 h, plus up to 10% jitter) for that destination alone: the
 * others keep their schedule.
 */
export class BackupScheduler {
  readonly events = new Emitter<SchedulerEvents>()
  private timer: NodeJS.Timeout | null = null
  private running: Promise<RunOutcome> | null = null
  /** True from a run's start until just before its last 'finished' event. */
  private busy = false
  private current: { target: string; trigger: 'schedule' | 'manual' } | null = null
  private controller: AbortController | null = null
  private stopped = false
  private readonly failures = new Map<string, Failures>()

  constructor(private readonly deps: SchedulerDeps) {}

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))()
  }

  private targets(): BackupTarget[] {
    return backupTargets(this.deps.settings(), this.deps.destinations?.() ?? {})
  }

  /** One destination by its id in status().destinations, as it stands now. */
  target(id: string): BackupTarget | undefined {
    return this.targets().find((target) => target.id === id)
  }

  start(): void {
    if (this.timer) return
    this.stopped = false
    this.timer = setInterval(() => this.check(), this.deps.checkEveryMs ?? 60_000)
    this.check()
  }

  /** Stop checking and cancel a running backup; resolves once it has stopped. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    this.stopped = true
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
    const destinations = this.targets().map((target) => this.targetStatus(target))
    const primary = destinations.find((d) => d.id === PROFILE_TARGET)
    const settings = this.deps.settings()
    return {
      running: this.busy,
      nextDueAt: primary?.nextDueAt ?? null,
      lastSuccessAt: settings?.lastSuccessAt ?? null,
      lastError: settings?.lastError ?? null,
      consecutiveFailures: this.failures.get(PROFILE_TARGET)?.count ?? 0,
      current: this.current,
      destinations,
    }
  }

  /**
   * Back up now, whatever the schedule: to one destination (`target`, an
   * id from status()), or to every destination in turn. Refused while a
   * backup runs. Resolves when all are done, with the first failure, else
   * the first destination's result; each also has its own 'finished' event.
   * With `full`, each starts a new chain (a full backup) instead of adding a link.
   */
  backupNow(target?: string, options: { full?: boolean } = {}): Promise<RunOutcome> {
    if (this.busy)
      throw new CairnError('BACKUP_BUSY', 'A backup is already running; wait for it to finish.')
    const settings = this.deps.settings()
    if (!settings)
      throw new CairnError('BACKUP_NOT_CONFIGURED', 'Backups are not set up for this profile.')
    const all = this.targets()
    const chosen = target ? all.filter((t) => t.id === target) : all
    if (all.length === 0)
      throw new CairnError('BACKUP_DESTINATION', 'Choose a folder for backups first.')
    if (chosen.length === 0)
      throw new CairnError('NOT_FOUND', `There is no backup destination "${target}".`)
    return this.launch(chosen, 'manual', options.full === true)
  }

  private targetStatus(target: BackupTarget): TargetStatus {
    return {
      id: target.id,
      name: target.name,
      kind: target.kind,
      location: target.location,
      schedule: target.schedule,
      retention: target.retention,
      running: this.current?.target === target.id,
      nextDueAt: this.nextAttempt(target)?.toISOString() ?? null,
      lastSuccessAt: target.lastSuccessAt,
      lastAttemptAt: target.lastAttemptAt,
      lastError: target.lastError,
      consecutiveFailures: this.failures.get(target.id)?.count ?? 0,
    }
  }

  /** When the next automatic attempt at `target` may start, or null without a schedule. */
  private nextAttempt(target: BackupTarget): Date | null {
    if (!target.schedule) return null
    const due = nextDue(
      target.schedule,
      target.lastSuccessAt ? new Date(target.lastSuccessAt) : null,
      this.now(),
    )
    const failed = this.failures.get(target.id)
    if (!failed) return due
    return failed.retryAt > due ? failed.retryAt : due
  }

  private check(): void {
    if (this.busy || this.stopped) return
    const now = this.now()
    const due = this.targets().filter((target) => {
      const next = this.nextAttempt(target)
      return next !== null && next <= now
    })
    if (due.length > 0) void this.launch(due, 'schedule')
  }

  /** Back up to each of `targets` in turn; one failing does not stop the next. */
  private launch(
    targets: BackupTarget[],
    trigger: 'schedule' | 'manual',
    full = false,
  ): Promise<RunOutcome> {
    this.busy = true
    const run = (async () => {
      const outcomes: RunOutcome[] = []
      try {
        for (const [index, target] of targets.entries()) {
          const outcome = await this.runOne(target, trigger, full)
          outcomes.push(outcome)
          const last = index === targets.length - 1 || this.stopped
          // The status says "not running" by the time the last outcome is announced.
          if (last) this.busy = false
          this.events.emit('finished', { ...outcome, target: target.id })
          if (last) break
        }
      } finally {
        this.busy = false
      }
      return outcomes.find((o) => !o.ok) ?? (outcomes[0] as RunOutcome)
    })()
    this.running = run
    void run.finally(() => {
      if (this.running === run) this.running = null
      // Another destination may have come due meanwhile.
      if (this.timer && !this.stopped) this.check()
    })
    return run
  }

  private async runOne(
    target: BackupTarget,
    trigger: 'schedule' | 'manual',
    full: boolean,
  ): Promise<RunOutcome> {
    const settings = this.deps.settings()
    const controller = new AbortController()
    this.controller = controller
    this.current = { target: target.id, trigger }
    const startedAt = this.now()
    this.events.emit('started', { trigger, target: target.id })
    let outcome: RunOutcome
    try {
      if (!settings) throw new CairnError('BACKUP_NOT_CONFIGURED', 'Backups are not set up.')
      const result = await this.deps.run({
        profileDir: this.deps.profileDir,
        destination: target.spec,
        recipient: settings.recipient,
        keyFingerprint: settings.fingerprint,
        profileId: this.deps.profileId,
        vaultId: settings.vault?.recordId ?? null,
        retention: target.retention,
        bandwidthLimit: target.bandwidthLimit,
        ...(full ? { full: true } : {}),
        signal: controller.signal,
        onProgress: (progress) => this.events.emit('progress', { ...progress, target: target.id }),
      })
      this.failures.delete(target.id)
      this.deps.record(
        {
          lastAttemptAt: startedAt.toISOString(),
          lastSuccessAt: result.createdAt,
          lastError: null,
        },
        target,
      )
      outcome = { ok: true, result, target: target.id }
    } catch (error) {
      const failure = isCairnError(error) ? error : new CairnError('INTERNAL', describeError(error))
      if (failure.code !== 'BACKUP_CANCELLED') {
        const count = (this.failures.get(target.id)?.count ?? 0) + 1
        const jitter = 1 + (this.deps.random ?? Math.random)() * 0.1
        this.failures.set(target.id, {
          count,
          retryAt: new Date(this.now().getTime() + retryDelayMs(count) * jitter),
        })
      }
      this.deps.record(
        { lastAttemptAt: startedAt.toISOString(), lastError: failure.message },
        target,
      )
      outcome = {
        ok: false,
        error: { code: failure.code, message: failure.message },
        target: target.id,
      }
    } finally {
      this.controller = null
      this.current = null
    }
    return outcome
  }
}
