import {
  requireBackupSettings,
  writeBackupSettings,
  type BackupSettings,
} from '../backup/backup-settings.js'
import {
  destinationsIn,
  readDestinations,
  updateDestination,
  type DestinationEntry,
} from '../backup/destination/destination-settings.js'
import { parseDestinationAddress } from '../backup/destination/destination-url.js'
import { openSpec, resolveDestination } from '../backup/destination/resolve.js'
import type { RetentionPolicy } from '../backup/destination/retention.js'
import { nextDue, schedulePolicySchema, type SchedulePolicy } from '../backup/schedule/policy.js'
import { backupTargets, PROFILE_TARGET, type BackupTarget } from '../backup/schedule/targets.js'
import {
  parseCommandArgs,
  UsageError,
  writeJson,
  type CliContext,
  type Command,
} from './command.js'
import {
  openCliProfile,
  profileDirOf,
  profileOption,
  readProfileUnlocked,
  requireBackupSettingsOf,
} from './profile-arg.js'

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']

export const scheduleCommand: Command = {
  name: 'schedule',
  summary: 'Set where and when the app backs up this profile',
  usage: `cairn schedule [--profile DIR] [--to FOLDER|URL|NAME] [--every HOURS | --daily HH:MM | --weekly DAY@HH:MM | --off]
                [--keep-last N] [--daily-keep N] [--weekly-keep N] [--monthly-keep N] [--json]

Sets where and when the Cairn app backs up this profile (a run missed while
the app was closed or the computer asleep is made up when it next runs),
and how many old backups to keep. With no option, shows every destination,
its schedule and when its next backup is due (without taking the profile's
lock, so it works while the Cairn app is open).

--to FOLDER or a URL (s3://BUCKET[/PREFIX], webdav(s)://HOST[:PORT]/PATH,
sftp://USER@HOST[:PORT]/PATH) sets the profile's own destination. --to NAME
(a destination added with cairn destination add) gives that destination a
schedule and retention of its own, so the app backs up there too, for
example a folder every hour and S3 every night; --to NAME --off takes it
off the schedule. Each destination keeps its own retention and status, and
one failing does not stop the others.

  --every 6          every 6 hours
  --daily 02:30      every day at 02:30 (local time)
  --weekly sun@20:00 every Sunday at 20:00`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, {
      ...profileOption,
      to: { type: 'string' },
      every: { type: 'string' },
      daily: { type: 'string' },
      weekly: { type: 'string' },
      off: { type: 'boolean', default: false },
      'keep-last': { type: 'string' },
      'daily-keep': { type: 'string' },
      'weekly-keep': { type: 'string' },
      'monthly-keep': { type: 'string' },
      json: { type: 'boolean', default: false },
    })
    const chosen = [values.every, values.daily, values.weekly, values.off || undefined].filter(
      (v) => v !== undefined,
    )
    if (chosen.length > 1)
      throw new UsageError('choose one of --every, --daily, --weekly and --off')
    const changes =
      values.to !== undefined ||
      chosen.length > 0 ||
      ['keep-last', 'daily-keep', 'weekly-keep', 'monthly-keep'].some(
        (name) => values[name as 'keep-last'] !== undefined,
      )
    const dir = profileDirOf(values, context)
    if (!changes) {
      // Showing only: no lock, so it works while the app has the profile open.
      const unlocked = readProfileUnlocked(dir)
      report(
        context,
        requireBackupSettingsOf(unlocked.backup),
        destinationsIn(unlocked.settings as Record<string, unknown>),
        null,
        values.json,
      )
      return 0
    }
    const profile = openCliProfile(dir)
    try {
      let settings = requireBackupSettings(profile)
      const named = readDestinations(profile)
      const spec = values.to ? resolveDestination(values.to, named) : null
      // A name given as --to: that destination's own schedule; anything else: the profile's destination.
      const ownName = values.to && spec?.name === values.to ? values.to : null
      if (spec && !ownName && parseDestinationAddress(spec.address).kind === 'folder') {
        const folder = openSpec(spec, null)
        try {
          await folder.checkUsable({ profileDir: profile.paths.dir })
        } finally {
          await folder.close()
        }
      }
      const count = (name: string, value: string | undefined, fallback: number) => {
        if (value === undefined) return fallback
        const n = Number(value)
        if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} takes a whole number`)
        return n
      }
      const retentionFrom = (base: RetentionPolicy): RetentionPolicy => ({
        keepLast: Math.max(1, count('keep-last', values['keep-last'], base.keepLast)),
        daily: count('daily-keep', values['daily-keep'], base.daily),
        weekly: count('weekly-keep', values['weekly-keep'], base.weekly),
        monthly: count('monthly-keep', values['monthly-keep'], base.monthly),
      })
      const keepGiven = ['keep-last', 'daily-keep', 'weekly-keep', 'monthly-keep'].some(
        (k) => values[k as keyof typeof values] !== undefined,
      )
      if (ownName) {
        const entry = named[ownName] as DestinationEntry
        updateDestination(profile, ownName, (current) => ({
          ...current,
          schedule:
            chosen.length === 0 ? current.schedule : values.off ? null : parsePolicy(values),
          retention: keepGiven
            ? retentionFrom(current.retention ?? settings.retention)
            : current.retention,
        }))
        void entry
      } else {
        const schedule =
          chosen.length === 0 ? settings.schedule : values.off ? null : parsePolicy(values)
        const destination = spec ? spec.address : settings.destination
        settings =
          writeBackupSettings(
            profile,
            (s) => s && { ...s, destination, schedule, retention: retentionFrom(s.retention) },
          ) ?? settings
      }
      report(context, settings, readDestinations(profile), ownName, values.json)
      return 0
    } finally {
      profile.close()
    }
  },
}

/** The schedule of the profile's destination (or of `ownName`), and of every destination. */
function report(
  context: CliContext,
  settings: BackupSettings,
  named: Record<string, DestinationEntry>,
  ownName: string | null,
  json: boolean,
): void {
  const targets = backupTargets(settings, named)
  const now = new Date()
  const dueOf = (target: BackupTarget) =>
    target.schedule
      ? nextDue(
          target.schedule,
          target.lastSuccessAt ? new Date(target.lastSuccessAt) : null,
          now,
        ).toISOString()
      : null
  const shown =
    targets.find((t) => (ownName ? t.name === ownName : t.id === PROFILE_TARGET)) ?? null
  const report = {
    destination: ownName ?? settings.destination,
    schedule: shown?.schedule ?? (ownName ? null : settings.schedule),
    retention: shown?.retention ?? settings.retention,
    lastSuccessAt: shown?.lastSuccessAt ?? (ownName ? null : settings.lastSuccessAt),
    lastError: shown?.lastError ?? (ownName ? null : settings.lastError),
    nextDueAt: shown ? dueOf(shown) : null,
    destinations: targets.map((t) => ({
      id: t.id,
      name: t.name,
      kind: t.kind,
      location: t.location,
      schedule: t.schedule,
      retention: t.retention,
      lastSuccessAt: t.lastSuccessAt,
      lastError: t.lastError,
      nextDueAt: dueOf(t),
    })),
  }
  if (json) writeJson(context, report)
  else {
    const primary = targets.find((t) => t.id === PROFILE_TARGET)
    context.stdout.write(
      `Backup folder: ${settings.destination ?? '(none: set one with --to)'}\n` +
        `Schedule:      ${describe(primary?.schedule ?? settings.schedule)}\n` +
        `Keep:          ${describeKeep(primary?.retention ?? settings.retention)}\n` +
        `Last backup:   ${settings.lastSuccessAt ?? 'never'}${settings.lastError ? ` (last attempt failed: ${settings.lastError})` : ''}\n` +
        (primary && dueOf(primary)
          ? `Next due:      ${describeDue(dueOf(primary) as string)}\n`
          : ''),
    )
    for (const t of targets.filter((t) => t.id !== PROFILE_TARGET)) {
      const due = dueOf(t)
      context.stdout.write(
        `\nDestination "${t.name}" (${t.kind}, ${t.location}):\n` +
          `  Schedule:    ${describe(t.schedule)}\n` +
          `  Keep:        ${describeKeep(t.retention)}\n` +
          `  Last backup: ${t.lastSuccessAt ?? 'never'}${t.lastError ? ` (last attempt failed: ${t.lastError})` : ''}\n` +
          (due ? `  Next due:    ${describeDue(due)}\n` : ''),
      )
    }
  }
}

function describeKeep(retention: RetentionPolicy): string {
  return `last ${retention.keepLast}, ${retention.daily} daily, ${retention.weekly} weekly, ${retention.monthly} monthly`
}

function describeDue(iso: string): string {
  return new Date(iso) <= new Date() ? 'now (when Cairn runs)' : iso
}

function parsePolicy(values: {
  every?: string | undefined
  daily?: string | undefined
  weekly?: string | undefined
}): SchedulePolicy {
  let candidate: unknown
  if (values.every !== undefined)
    candidate = { kind: 'interval', hours: Number(values.every.replace(/h$/i, '')) }
  else if (values.daily !== undefined) candidate = { kind: 'daily', time: values.daily }
  else {
    const [day, time] = (values.weekly ?? '').toLowerCase().split('@')
    candidate = { kind: 'weekly', weekday: WEEKDAYS.indexOf((day ?? '').slice(0, 3)), time }
  }
  const parsed = schedulePolicySchema.safeParse(candidate)
  if (!parsed.success) {
    throw new UsageError(
      `invalid schedule (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}); see --help`,
    )
  }
  return parsed.data
}

function describe(policy: SchedulePolicy | null): string {
  if (!policy) return 'off (backups run only when asked)'
  if (policy.kind === 'interval') return `every ${policy.hours} hours`
  if (policy.kind === 'daily') return `every day at ${policy.time}`
  return `every ${['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][policy.weekday]} at ${policy.time}`
}
