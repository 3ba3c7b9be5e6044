/**
 * Scheduled backups as the renderer sees them: where they stand (next run,
 * last success or error, the run in progress), a "back up now" trigger and
 * progress events. Setting backups up (key, destination, schedule) comes
 * with the backup screens.
 */
import { z } from 'zod'
import type { DestinationKind } from '../../backup/destination/destination.js'
import type { RetentionPolicy } from '../../backup/destination/retention.js'
import type { SchedulePolicy } from '../../backup/schedule/policy.js'
import type { RunOutcome } from '../../backup/schedule/scheduler.js'
import type { ConnectionTest } from '../../backup/schedule/test-target.js'
import { defineService, event, method, returns } from '../define.js'

export interface BackupProgressView {
  phase: 'snapshot' | 'writing'
  bytesDone: number
  bytesTotal: number
}

export interface BackupStatus {
  /** A backup key exists for this profile (backups can run once a destination is chosen). */
  configured: boolean
  custody: 'keychain' | 'user' | 'vault' | null
  destination: string | null
  schedule: SchedulePolicy | null
  running: boolean
  /** What started the running backup, and how far it is; null when none runs. */
  trigger: 'schedule' | 'manual' | null
  progress: BackupProgressView | null
  /** When the next automatic backup may start (ISO time), null without a schedule and destination. */
  nextRunAt: string | null
  lastSuccessAt: string | null
  lastAttemptAt: string | null
  /** The last run's error message, null after a success. */
  lastError: string | null
  consecutiveFailures: number
  /**
   * Every destination the profile backs up to, each with its own schedule,
   * retention and record: the profile's own destination first (the one the
   * fields above describe), then named destinations with a schedule of their
   * own. Added for several destinations; the fields above are unchanged.
   */
  destinations: DestinationStatus[]
}

/** One backup destination's status. */
export interface DestinationStatus {
  /** 'profile' (the profile's own destination) or `named:<name>`; runNow takes it. */
  id: string
  /** The named destination's name (cairn destination add NAME …), if it is one. */
  name: string | null
  kind: DestinationKind
  /** A folder path or a URL; never holds a secret. */
  location: string
  schedule: SchedulePolicy | null
  retention: RetentionPolicy
  running: boolean
  /** How far the backup to this destination is, while it runs. */
  progress: BackupProgressView | null
  /** When the next automatic backup here may start (ISO time); null without a schedule. */
  nextRunAt: string | null
  lastSuccessAt: string | null
  lastAttemptAt: string | null
  /** The last run's error message here (it names the destination and what to do), null after a success. */
  lastError: string | null
  consecutiveFailures: number
}

export type BackupFinished = (
  | {
      ok: true
      backup: { name: string; size: number; createdAt: string; files: number; bytes: number }
    }
  | { ok: false; error: { code: string; message: string } }
) & {
  /** Which destination (its id in status().destinations): a run to several sends one event each. */
  destination?: string
}

const none = z.object({}).strict()

/** The kinds of destination the engine backs up to, in the order a settings screen offers them. */
const DESTINATION_KINDS: readonly DestinationKind[] = ['folder', 's3', 'webdav', 'sftp']

export const backupService = defineService({
  methods: {
    status: method({
      input: none,
      output: returns<BackupStatus>(),
      handle: (ctx) => ctx.backupActivity.status(),
    }),
    /**
     * Starts a backup and answers at once; its progress and outcome arrive as
     * events. Without input, to every destination in turn; with
     * `destination` (an id from status().destinations), to that one only.
     */
    runNow: method({
      input: z.object({ destination: z.string().min(1).max(200).optional() }).strict(),
      output: returns<null>(),
      handle: (ctx, input) => {
        ctx.backupActivity.runNow(input.destination)
        return null
      },
    }),
    /** The kinds of destination a backup can go to (the settings' destination control offers these). */
    destinationKinds: method({
      input: none,
      output: returns<{ kinds: DestinationKind[] }>(),
      handle: () => ({ kinds: [...DESTINATION_KINDS] }),
    }),
    /**
     * "Test connection" for one destination (an id from
     * status().destinations): lists it, writes and removes a test file.
     * A failure is an answer, not an error: its message names the
     * destination and what to do.
     */
    testConnection: method({
      input: z.object({ destination: z.string().min(1).max(200) }).strict(),
      output: returns<ConnectionTest>(),
      handle: (ctx, input) => ctx.backupActivity.testConnection(input.destination),
    }),
  },
  events: {
    started: event<{ trigger: 'schedule' | 'manual' }>((ctx, emit) =>
      ctx.backups.events.on('started', ({ trigger }) => emit({ trigger })),
    ),
    progress: event<BackupProgressView>((ctx, emit) =>
      ctx.backups.events.on('progress', ({ phase, bytesDone, bytesTotal }) =>
        emit({ phase, bytesDone, bytesTotal }),
      ),
    ),
    finished: event<BackupFinished>((ctx, emit) =>
      ctx.backups.events.on('finished', (outcome) => emit(finishedView(outcome))),
    ),
  },
})

function finishedView(outcome: RunOutcome & { target: string }): BackupFinished {
  return outcome.ok
    ? {
        ok: true,
        backup: {
          name: outcome.result.name,
          size: outcome.result.size,
          createdAt: outcome.result.createdAt,
          files: outcome.result.files,
          bytes: outcome.result.bytes,
        },
        destination: outcome.target,
      }
    : { ok: false, error: outcome.error, destination: outcome.target }
}
