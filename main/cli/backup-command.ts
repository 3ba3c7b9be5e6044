import { resolve } from 'node:path'
import { formatBytes } from '../../common/format.js'
import { recordBackupRun, requireBackupSettings } from '../backup/backup-settings.js'
import { readDestinations, updateDestination } from '../backup/destination/destination-settings.js'
import { resolveDestination, type DestinationSpec } from '../backup/destination/resolve.js'
import { defaultBackupDir, ensureBackupFolder } from '../backup/manager/default-folder.js'
import { runBackup, type BackupResult } from '../backup/run-backup.js'
import type { RunRecord } from '../backup/schedule/scheduler.js'
import { backupTargets, PROFILE_TARGET, type BackupTarget } from '../backup/schedule/targets.js'
import { osKeychain } from '../keychain/keychain.js'
import { runningAppOf, type ControlFile } from '../profile/app-control.js'
import type { Profile } from '../profile/profile.js'
import { CairnError, isCairnError } from '../shared/errors.js'
import { askRunningApp } from './app-control-client.js'
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
import { progressBar } from './progress.js'

export const backupCommand: Command = {
  name: 'backup',
  summary: 'Back up the profile, encrypted, to a folder or a destination',
  usage: `cairn backup [--profile DIR] [--to FOLDER|URL|NAME | --all] [--no-retention]
             [--bandwidth-limit BYTES_PER_S] [--full] [--json]

Writes one encrypted backup (cairn-backup-<time>.tar.zst.age and its .json
sidecar) to --to, else to the destination set for this profile (cairn
schedule), else to the default folder ("Cairn Backups" in your Documents
folder, or CAIRN_BACKUP_DIR). --to takes a folder, s3://BUCKET[/PREFIX],
webdav(s)://HOST[:PORT]/PATH, sftp://USER@HOST[:PORT]/PATH, or the name of
a destination (cairn destination add). --all backs up to every destination
of the profile in turn (its own and the named ones with a schedule); one
failing does not stop the others. Needs only the key's public half, which
the profile keeps; no secret is asked for (a destination's password comes
from the keychain, or CAIRN_DESTINATION_PASSWORD for WebDAV and SFTP).
Uploads that fail on the way (a lost link, a server error) are tried again.
Older backups of this profile there are then pruned by the retention policy
(keep the last few plus daily, weekly and monthly ones) unless
--no-retention.

Backups form chains: a full backup, then incremental ones that carry only
the mailbox's changed 4 KiB blocks and new or changed files, until the
chain is a week old or 7 links long, a change is too large, the database
was compacted, or a link went missing; then a full one again. --full makes
a full backup now (retention never deletes a backup a kept one needs).

While the Cairn app has the profile open, the app makes the backup (to its
destination, with its retention) and this command shows its progress.`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, {
      ...profileOption,
      to: { type: 'string' },
      all: { type: 'boolean', default: false },
      'no-retention': { type: 'boolean', default: false },
      'bandwidth-limit': { type: 'string' },
      full: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    })
    if (values.all && values.to) throw new UsageError('give --to or --all, not both')
    const limit = values['bandwidth-limit'] === undefined ? null : Number(values['bandwidth-limit'])
    if (limit !== null && (!Number.isInteger(limit) || limit < 1024))
      throw new UsageError('--bandwidth-limit takes bytes per second (at least 1024)')
    const dir = profileDirOf(values, context)
    const app = runningAppOf(dir)
    if (app) return backUpThroughApp(app, dir, { ...values, limit }, context)
    const profile = openCliProfile(dir)
    try {
      const settings = requireBackupSettings(profile)
      const named = readDestinations(profile)
      let targets: { target: BackupTarget | null; spec: DestinationSpec }[]
      const all = backupTargets(settings, named)
      if (values.to) {
        const spec = resolveDestination(values.to, named)
        // A destination with its own schedule keeps its own record; any other, the profile's.
        const own = all.find((t) => t.name !== null && t.name === spec.name) ?? null
        targets = [{ target: own, spec }]
      } else if (values.all) {
        if (all.length === 0) throw noDestination()
        targets = all.map((target) => ({ target, spec: target.spec }))
      } else {
        const primary = all.find((t) => t.id === PROFILE_TARGET)
        if (primary) targets = [{ target: primary, spec: primary.spec }]
        else {
          // No destination chosen yet: the default folder, made on first use.
          const folder = defaultBackupDir({ env: context.env })
          ensureBackupFolder(folder)
          targets = [{ target: null, spec: resolveDestination(folder, named) }]
        }
      }
      const reports: ({ destination: string } & (
        { ok: true; result: BackupResult } | { ok: false; error: { code: string; message: string } }
      ))[] = []
      for (const { target, spec } of targets) {
        const outcome = await backUpTo(profile, settings, spec, target, {
          retention: values['no-retention']
            ? null
            : (target?.retention ?? spec.entry?.retention ?? settings.retention),
          bandwidthLimit: limit ?? target?.bandwidthLimit ?? spec.entry?.bandwidthLimit ?? null,
          full: values.full,
          context,
        })
        if (!outcome.ok && !values.all) throw outcome.error
        reports.push(
          outcome.ok
            ? { destination: outcome.result.destination, ok: true, result: outcome.result }
            : {
                destination: target?.location ?? spec.address,
                ok: false,
                error: { code: outcome.error.code, message: outcome.error.message },
              },
        )
      }
      if (values.json) {
        const [single] = reports
        writeJson(context, values.all ? reports : single?.ok ? single.result : reports)
      } else
        for (const report of reports) {
          if (!report.ok) {
            context.stderr.write(
              `Backup to ${report.destination} FAILED: ${report.error.message}\n`,
            )
            continue
          }
          printResult(context, report.result)
        }
      return reports.every((r) => r.ok) ? 0 : 1
    } finally {
      profile.close()
    }
  },
}

const noDestination = () =>
  new CairnError(
    'BACKUP_DESTINATION',
    'No backup folder: give one with --to DIR (or a URL or a destination name), or set one with cairn schedule --to.',
  )

async function backUpTo(
  profile: Profile,
  settings: ReturnType<typeof requireBackupSettings>,
  spec: DestinationSpec,
  target: BackupTarget | null,
  options: {
    retention: ReturnType<typeof requireBackupSettings>['retention'] | null
    bandwidthLimit: number | null
    full: boolean
    context: CliContext
  },
): Promise<{ ok: true; result: BackupResult } | { ok: false; error: CairnError }> {
  const { context } = options
  const bar = progressBar(context.stderr)
  const started = new Date()
  const record = (run: RunRecord) =>
    target && target.id !== PROFILE_TARGET && target.name
      ? updateDestination(profile, target.name, (entry) => ({ ...entry, ...run }))
      : recordBackupRun(profile, run)
  try {
    const result = await runBackup({
      profileDir: profile.paths.dir,
      destination: spec,
      recipient: settings.recipient,
      keyFingerprint: settings.fingerprint,
      profileId: profile.id,
      vaultId: settings.vault?.recordId ?? null,
      retention: options.retention,
      bandwidthLimit: options.bandwidthLimit,
      full: options.full,
      secretStore: osKeychain(),
      env: context.env,
      onProgress: (p) =>
        bar.update(
          p.bytesTotal ? p.bytesDone / p.bytesTotal : 0,
          p.phase === 'snapshot' ? 'checking files' : 'encrypting and uploading',
        ),
    })
    bar.done()
    for (const warning of result.warnings) context.stderr.write(`Warning: ${warning}\n`)
    record({
      lastAttemptAt: started.toISOString(),
      lastSuccessAt: result.createdAt,
      lastError: null,
    })
    return { ok: true, result }
  } catch (error) {
    bar.done()
    record({ lastAttemptAt: started.toISOString(), lastError: (error as Error).message })
    if (!isCairnError(error)) throw error
    return { ok: false, error }
  }
}

/**
 * The app holds the profile: it makes the backup, as its own "Back up now"
 * (its window shows the progress too), and this command follows it.
 */
async function backUpThroughApp(
  app: ControlFile,
  dir: string,
  values: {
    to?: string | undefined
    all?: boolean
    'no-retention'?: boolean
    full?: boolean
    limit: number | null
    json?: boolean
  },
  context: CliContext,
): Promise<number> {
  const settings = requireBackupSettingsOf(readProfileUnlocked(dir).backup)
  if (values.to && (!settings.destination || resolve(values.to) !== resolve(settings.destination)))
    throw new CairnError(
      'PROFILE_LOCKED',
      `The Cairn app has this profile open and backs up to ${settings.destination ?? 'the folder set in its Settings'}. ` +
        'To back up elsewhere, close the app first (or choose the folder in Settings → Backups).',
    )
  if (values.all || values.limit !== null)
    throw new CairnError(
      'PROFILE_LOCKED',
      'The Cairn app has this profile open and backs up to its destinations on their schedules; close the app to use --all or --bandwidth-limit.',
    )
  if (values['no-retention'])
    throw new CairnError(
      'PROFILE_LOCKED',
      'The Cairn app has this profile open and prunes old backups as its settings say; close the app to use --no-retention.',
    )
  const bar = progressBar(context.stderr)
  if (!values.json)
    context.stderr.write('The Cairn app has this profile open; it makes the backup.\n')
  try {
    const { result } = await askRunningApp(
      app,
      { command: 'backup', ...(values.full ? { full: true } : {}) },
      {
        onProgress: (p) =>
          bar.update(
            p.bytesTotal ? p.bytesDone / p.bytesTotal : 0,
            p.phase === 'snapshot' ? 'checking files' : 'encrypting',
          ),
      },
    )
    bar.done()
    const backup = result as BackupResult
    for (const warning of backup.warnings) context.stderr.write(`Warning: ${warning}\n`)
    if (values.json) writeJson(context, backup)
    else printResult(context, backup)
    return 0
  } finally {
    bar.done()
  }
}

function printResult(context: CliContext, result: BackupResult): void {
  context.stdout.write(
    `Backed up ${result.files} files (${formatBytes(result.bytes)})` +
      (result.accountSecrets > 0
        ? ` and ${result.accountSecrets} account password${result.accountSecrets === 1 ? '' : 's'}`
        : '') +
      ` to ${result.path} (${formatBytes(result.size)}).\n`,
  )
  context.stdout.write(
    result.kind === 'incremental'
      ? `Incremental: link ${result.chainIndex} of the chain from ${result.base} (${formatBytes(result.carriedBytes)} changed).\n`
      : `Full backup${result.fullReason ? ` (${result.fullReason})` : ''}.\n`,
  )
  for (const name of result.deleted) context.stdout.write(`Removed old backup ${name}.\n`)
  for (const held of result.keptForChains)
    context.stdout.write(
      `Kept ${held.name}: the kept backup ${held.neededBy} needs it (same chain).\n`,
    )
}
