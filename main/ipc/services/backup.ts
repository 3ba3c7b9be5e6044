/**
 * Scheduled backups as the renderer sees them: where they stand (next run,
 * last success or error, the run in progress), a "back up now" trigger and
 * progress events. Setting backups up (key, destination, schedule) comes
 * with the backup screens.
 */
import { z } from 'zod'
import type { SchedulePolicy } from '../../backup/schedule/policy.js'
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
}

export type BackupFinished =
  | {
      ok: true
      backup: { name: string; size: number; createdAt: string; files: number; bytes: number }
    }
  | { ok: false; error: { code: string; message: string } }

const none = z.object({}).strict()

export const backupService = defineService({
  methods: {
    status: method({
      input: none,
      output: returns<BackupStatus>(),
      handle: (ctx) => ctx.backupActivity.status(),
    }),
    /** Starts a backup and answers at once; its progress and outcome arrive as events. */
    runNow: method({
      input: none,
      output: returns<null>(),
      handle: (ctx) => {
        ctx.backupActivity.runNow()
        return null
      },
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
      ctx.backups.events.on('finished', (outcome) =>
        emit(
          outcome.ok
            ? {
                ok: true,
                backup: {
                  name: outcome.result.name,
                  size: outcome.result.size,
                  createdAt: outcome.result.createdAt,
                  files: outcome.result.files,
                  bytes: outcome.result.bytes,
                },
              }
            : { ok: false, error: outcome.error },
        ),
      ),
    ),
  },
})
