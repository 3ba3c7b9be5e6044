/**
 * Backups as the renderer sees them: where they stand (next run, last
 * success and its size, failing, overdue, the run in progress), "back up
 * now" and cancel, the settings (destination, schedule, retention), the
 * history in the destination (verify, delete) and the notices that follow
 * from all of it. The key's custody is in backup-key.ts; restoring in
 * backup-restore.ts.
 */
import { z } from 'zod'
import type { BackupHealth, BackupSettingsView } from '../../backup/manager/backup-manager.js'
import type { HistoryEntry } from '../../backup/manager/history.js'
import type { BackupNotice } from '../../backup/manager/notices.js'
import type { DestinationKind } from '../../backup/destination/destination.js'
import type { RetentionPolicy } from '../../backup/destination/retention.js'
import type { SchedulePolicy } from '../../backup/schedule/policy.js'
import type { RunOutcome } from '../../backup/schedule/scheduler.js'
import type { ConnectionTest } from '../../backup/schedule/test-target.js'
import { defineService, event, method, returns } from '../define.js'
import type { AddDestinationOutcome } from '../../backup/manager/add-destination.js'

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
  /** The newest backup and its size, failing and overdue. */
  health: BackupHealth
  notices: BackupNotice[]
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

export type { AddDestinationOutcome, BackupHealth, BackupNotice, BackupSettingsView, HistoryEntry }

const none = z.object({}).strict()
const path = z.string().min(1).max(4096)
const backupName = z.string().min(1).max(200)
const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM')
/** The same shape as the engine's policy (main/backup/schedule/policy.ts), checked here at the boundary. */
const schedule = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('interval'), hours: z.number().int().min(1).max(168) }).strict(),
  z.object({ kind: z.literal('daily'), time }).strict(),
  z.object({ kind: z.literal('weekly'), weekday: z.number().int().min(0).max(6), time }).strict(),
])
const count = z.number().int().min(0).max(10_000)
/** Destination kinds the settings screen can choose; cloud kinds join this union. */
const destination = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('folder'), path }).strict(),
])
const keyText = z.string().max(300)

/** A destination's name: the same rule as DESTINATION_NAME (destination-url.ts); this module imports only zod. */
const DESTINATION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** Printable text only: no control characters (they would forge log lines or URLs). */
const plain = (max: number) =>
  z
    .string()
    .max(max)
    // eslint-disable-next-line no-control-regex
    .refine((text) => !/[\u0000-\u001f\u007f]/.test(text), 'no control characters')
const optionalPlain = (max: number) =>
  plain(max)
    .nullable()
    .transform((text) => (text?.trim() ? text.trim() : null))
/** A secret is kept as typed (spaces may belong to it), never logged, and goes to the keychain only. */
const secret = plain(4096).nullable()
/** The fields of a new named destination, one shape per kind (see add-destination.ts). */
const destinationForm = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('folder'), path }).strict(),
  z
    .object({
      kind: z.literal('s3'),
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
      prefix: plain(900),
      endpoint: optionalPlain(2048).refine(
        (url) => url === null || /^https?:\/\/[^\s@]+$/i.test(url),
        'an http(s):// address without a user or password in it',
      ),
      region: optionalPlain(64).refine(
        (region) => region === null || /^[a-z0-9-]+$/.test(region),
        'a region like eu-west-1',
      ),
      accessKeyId: optionalPlain(256),
      secretAccessKey: secret,
    })
    .strict(),
  z
    .object({
      kind: z.literal('webdav'),
      url: plain(2048).refine(
        (url) => /^(webdavs?|https?):\/\/\S+$/i.test(url),
        'an https:// address',
      ),
      user: optionalPlain(256),
      password: secret,
    })
    .strict(),
  z
    .object({
      kind: z.literal('sftp'),
      address: plain(2048).refine(
        (a) => /^(sftp:\/\/)?[^\s@/]+@[^\s/]+\/\S*$/.test(a),
        'user@host:port/path',
      ),
      password: secret,
      identityFile: optionalPlain(4096).refine(
        (file) => file === null || file.startsWith('/') || /^[A-Za-z]:\\/.test(file),
        'the full path of the key file',
      ),
    })
    .strict(),
])

/** The kinds of destination the engine backs up to, in the order a settings screen offers them. */
const DESTINATION_KINDS: readonly DestinationKind[] = ['folder', 's3', 'webdav', 'sftp']

export const backupService = defineService({
  methods: {
    status: method({
      input: none,
      output: returns<BackupStatus>(),
      handle: async (ctx) => ({
        ...ctx.backupActivity.status(),
        health: await ctx.backupManager.health(),
        notices: ctx.backupManager.notices(),
      }),
    }),
    /**
     * Starts a backup and answers at once; its progress and outcome arrive as
     * events. Without input, to every destination in turn; with
     * `destination` (an id from status().destinations), to that one only;
     * with `full`, a full backup that starts a new chain.
     */
    runNow: method({
      input: z
        .object({
          destination: z.string().min(1).max(200).optional(),
          full: z.boolean().optional(),
        })
        .strict(),
      output: returns<null>(),
      handle: (ctx, input) => {
        ctx.backupActivity.runNow(input.destination, { full: input.full === true })
        return null
      },
    }),
    /** Cancels the running backup (it ends with `finished`, BACKUP_CANCELLED); false when none runs. */
    cancel: method({
      input: none,
      output: returns<boolean>(),
      handle: (ctx) => ctx.backups.cancel(),
    }),
    settings: method({
      input: none,
      output: returns<BackupSettingsView>(),
      handle: (ctx) => ctx.backupManager.settingsView(),
    }),
    /** Would this destination take backups? Checks only; answers the full folder path. */
    checkDestination: method({
      input: z.object({ destination }).strict(),
      output: returns<string>(),
      handle: (ctx, { destination }) => ctx.backupManager.checkDestination(destination),
    }),
    /** Save destination, schedule and/or retention; each is checked before anything is written. */
    configure: method({
      input: z
        .object({
          destination: destination.nullable().optional(),
          schedule: schedule.nullable().optional(),
          retention: z
            .object({ keepLast: count.min(1), daily: count, weekly: count, monthly: count })
            .strict()
            .optional(),
        })
        .strict(),
      output: returns<BackupSettingsView>(),
      handle: (ctx, input) => ctx.backupManager.configure(input),
    }),
    /** The backups in the destination, newest first. */
    history: method({
      input: none,
      output: returns<HistoryEntry[]>(),
      handle: (ctx) => ctx.backupManager.history(),
    }),
    /** Intact (no key), or restorable (with the keychain's key or typed digits). */
    verify: method({
      input: z
        .object({
          name: backupName,
          key: z.discriminatedUnion('source', [
            z.object({ source: z.literal('none') }).strict(),
            z.object({ source: z.literal('keychain') }).strict(),
            z.object({ source: z.literal('digits'), text: keyText }).strict(),
          ]),
        })
        .strict(),
      output: returns<{ level: 'integrity' | 'full'; message: string }>(),
      handle: async (ctx, { name, key }) => {
        const { level, message } = await ctx.backupManager.verify(name, key)
        return { level, message }
      },
    }),
    /** Delete one backup and its sidecar (the screen asked the user first). */
    delete: method({
      input: z.object({ name: backupName }).strict(),
      output: returns<null>(),
      handle: async (ctx, { name }) => {
        await ctx.backupManager.delete(name)
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
    /**
     * Add a named destination from the settings: S3, WebDAV, SFTP or a
     * folder, with its own schedule. Its connection is tested first with
     * the typed secret; only then is the secret put in the keychain and the
     * rest (nothing secret) saved. An SFTP server not known yet comes back
     * with its host key for the user to check and trust (`trustHostKey`);
     * it is never trusted silently.
     */
    addDestination: method({
      input: z
        .object({
          name: z.string().regex(DESTINATION_NAME, 'letters, digits, ".", "_" or "-" (up to 64)'),
          form: destinationForm,
          schedule,
          trustHostKey: z
            .string()
            .regex(/^SHA256:[A-Za-z0-9+/]{43}$/)
            .nullable(),
        })
        .strict(),
      output: returns<AddDestinationOutcome>(),
      handle: (ctx, input) => ctx.backupManager.addDestination(input),
    }),
    /** Forget a named destination and its keychain secrets; its backups stay where they are. */
    removeDestination: method({
      input: z.object({ name: z.string().regex(DESTINATION_NAME) }).strict(),
      output: returns<null>(),
      handle: (ctx, { name }) => {
        ctx.backupManager.removeDestination(name)
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
      ctx.backups.events.on('finished', (outcome) => emit(finishedView(outcome))),
    ),
    /** Settings, key or history changed: screens load again. */
    changed: event<{ what: 'settings' | 'key' | 'history' }>((ctx, emit) =>
      ctx.backupManager.events.on('changed', emit),
    ),
    notices: event<BackupNotice[]>((ctx, emit) => ctx.backupManager.events.on('notices', emit)),
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
