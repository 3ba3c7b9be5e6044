import {
  requireBackupSettings,
  writeBackupSettings,
  type BackupSettings,
} from '../backup/backup-settings.js'
import { checkDestination, checkDestinationOutsideProfile } from '../backup/destination/folder.js'
import { nextDue, schedulePolicySchema, type SchedulePolicy } from '../backup/schedule/policy.js'
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
  usage: `cairn schedule [--profile DIR] [--to DIR] [--every HOURS | --daily HH:MM | --weekly DAY@HH:MM | --off]
                [--keep-last N] [--daily-keep N] [--weekly-keep N] [--monthly-keep N] [--json]

Sets the backup folder and schedule the Cairn app follows (a run missed
while the app was closed or the computer asleep is made up when it next
runs), and how many old backups to keep. With no option, shows the current
settings and when the next backup is due (without taking the profile's
lock, so it works while the Cairn app is open).

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
      report(context, requireBackupSettingsOf(readProfileUnlocked(dir).backup), values.json)
      return 0
    }
    const profile = openCliProfile(dir)
    try {
      const settings = requireBackupSettings(profile)
      if (values.to) {
        checkDestination(values.to)
        checkDestinationOutsideProfile(values.to, profile.paths.dir)
      }
      const schedule =
        chosen.length === 0 ? settings.schedule : values.off ? null : parsePolicy(values)
      const count = (name: string, value: string | undefined, fallback: number) => {
        if (value === undefined) return fallback
        const n = Number(value)
        if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} takes a whole number`)
        return n
      }
      const retention = {
        keepLast: Math.max(1, count('keep-last', values['keep-last'], settings.retention.keepLast)),
        daily: count('daily-keep', values['daily-keep'], settings.retention.daily),
        weekly: count('weekly-keep', values['weekly-keep'], settings.retention.weekly),
        monthly: count('monthly-keep', values['monthly-keep'], settings.retention.monthly),
      }
      const written =
        writeBackupSettings(
          profile,
          (s) => s && { ...s, destination: values.to ?? s.destination, schedule, retention },
        ) ?? settings
      report(context, written, values.json)
      return 0
    } finally {
      profile.close()
    }
  },
}

function report(context: CliContext, settings: BackupSettings, json: boolean): void {
  const due = settings.schedule
    ? nextDue(
        settings.schedule,
        settings.lastSuccessAt ? new Date(settings.lastSuccessAt) : null,
        new Date(),
      )
    : null
  const { retention } = settings
  const shown = {
    destination: settings.destination,
    schedule: settings.schedule,
    retention,
    lastSuccessAt: settings.lastSuccessAt,
    lastError: settings.lastError,
    nextDueAt: due && settings.destination ? due.toISOString() : null,
  }
  if (json) writeJson(context, shown)
  else {
    context.stdout.write(
      `Backup folder: ${shown.destination ?? '(none: set one with --to)'}\n` +
        `Schedule:      ${describe(settings.schedule)}\n` +
        `Keep:          last ${retention.keepLast}, ${retention.daily} daily, ${retention.weekly} weekly, ${retention.monthly} monthly\n` +
        `Last backup:   ${shown.lastSuccessAt ?? 'never'}${shown.lastError ? ` (last attempt failed: ${shown.lastError})` : ''}\n` +
        (shown.nextDueAt
          ? `Next due:      ${new Date(shown.nextDueAt) <= new Date() ? 'now (when Cairn runs)' : shown.nextDueAt}\n`
          : ''),
    )
  }
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
