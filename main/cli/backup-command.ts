import { resolve } from 'node:path'
import { formatBytes } from '../../common/format.js'
import { recordBackupRun, requireBackupSettings } from '../backup/backup-settings.js'
import { defaultBackupDir, ensureBackupFolder } from '../backup/manager/default-folder.js'
import { runBackup, type BackupResult } from '../backup/run-backup.js'
import { runningAppOf, type ControlFile } from '../profile/app-control.js'
import { CairnError } from '../shared/errors.js'
import { askRunningApp } from './app-control-client.js'
import { parseCommandArgs, writeJson, type CliContext, type Command } from './command.js'
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
  summary: 'Back up the profile, encrypted, to a folder',
  usage: `cairn backup [--profile DIR] [--to DIR] [--no-retention] [--json]

Writes one encrypted backup (cairn-backup-<time>.tar.zst.age and its .json
sidecar) to the folder: --to, else the folder set for this profile, else the
default folder ("Cairn Backups" in your Documents folder, or
CAIRN_BACKUP_DIR). Needs only the key's public half, which the profile
keeps; no secret is asked for. Older backups are then pruned by the
profile's retention policy (keep the last few plus daily, weekly and
monthly ones) unless --no-retention.

While the Cairn app has the profile open, the app makes the backup (to its
folder, with its retention) and this command shows its progress.`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, {
      ...profileOption,
      to: { type: 'string' },
      'no-retention': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    })
    const dir = profileDirOf(values, context)
    const app = runningAppOf(dir)
    if (app) return backUpThroughApp(app, dir, values, context)
    const profile = openCliProfile(dir)
    const bar = progressBar(context.stderr)
    try {
      const settings = requireBackupSettings(profile)
      let destination = values.to ?? settings.destination
      if (!destination) {
        destination = defaultBackupDir({ env: context.env })
        ensureBackupFolder(destination)
      }
      const started = new Date()
      try {
        const result = await runBackup({
          profileDir: profile.paths.dir,
          destinationDir: destination,
          recipient: settings.recipient,
          keyFingerprint: settings.fingerprint,
          profileId: profile.id,
          vaultId: settings.vault?.recordId ?? null,
          retention: values['no-retention'] ? null : settings.retention,
          onProgress: (p) =>
            bar.update(
              p.bytesTotal ? p.bytesDone / p.bytesTotal : 0,
              p.phase === 'snapshot' ? 'checking files' : 'encrypting',
            ),
        })
        bar.done()
        recordBackupRun(profile, {
          lastAttemptAt: started.toISOString(),
          lastSuccessAt: result.createdAt,
          lastError: null,
        })
        report(context, result, values.json)
        return 0
      } catch (error) {
        recordBackupRun(profile, {
          lastAttemptAt: started.toISOString(),
          lastError: (error as Error).message,
        })
        throw error
      }
    } finally {
      bar.done()
      profile.close()
    }
  },
}

/**
 * The app holds the profile: it makes the backup, as its own "Back up now"
 * (its window shows the progress too), and this command follows it.
 */
async function backUpThroughApp(
  app: ControlFile,
  dir: string,
  values: { to?: string | undefined; 'no-retention'?: boolean; json?: boolean },
  context: CliContext,
): Promise<number> {
  const settings = requireBackupSettingsOf(readProfileUnlocked(dir).backup)
  if (values.to && (!settings.destination || resolve(values.to) !== resolve(settings.destination)))
    throw new CairnError(
      'PROFILE_LOCKED',
      `The Cairn app has this profile open and backs up to ${settings.destination ?? 'the folder set in its Settings'}. ` +
        'To back up elsewhere, close the app first (or choose the folder in Settings → Backups).',
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
      { command: 'backup' },
      {
        onProgress: (p) =>
          bar.update(
            p.bytesTotal ? p.bytesDone / p.bytesTotal : 0,
            p.phase === 'snapshot' ? 'checking files' : 'encrypting',
          ),
      },
    )
    bar.done()
    report(context, result as BackupResult, values.json === true)
    return 0
  } finally {
    bar.done()
  }
}

function report(context: CliContext, result: BackupResult, json: boolean): void {
  for (const warning of result.warnings) context.stderr.write(`Warning: ${warning}\n`)
  if (json) {
    writeJson(context, result)
    return
  }
  context.stdout.write(
    `Backed up ${result.files} files (${formatBytes(result.bytes)})` +
      (result.accountSecrets > 0
        ? ` and ${result.accountSecrets} account password${result.accountSecrets === 1 ? '' : 's'}`
        : '') +
      ` to ${result.path} (${formatBytes(result.size)}).\n`,
  )
  for (const name of result.deleted) context.stdout.write(`Removed old backup ${name}.\n`)
}
