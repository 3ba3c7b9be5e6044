import { recordBackupRun, requireBackupSettings } from '../backup/backup-settings.js'
import { runBackup } from '../backup/run-backup.js'
import { CairnError } from '../shared/errors.js'
import { parseCommandArgs, writeJson, type Command } from './command.js'
import { openCliProfile, profileDirOf, profileOption } from './profile-arg.js'
import { progressBar } from './progress.js'
import { formatBytes } from '../../common/format.js'

export const backupCommand: Command = {
  name: 'backup',
  summary: 'Back up the profile, encrypted, to a folder',
  usage: `cairn backup [--profile DIR] [--to DIR] [--no-retention] [--json]

Writes one encrypted backup (cairn-backup-<time>.tar.zst.age and its .json
sidecar) to the folder: --to, else the folder set for this profile. Needs
only the key's public half, which the profile keeps; no secret is asked for.
Older backups are then pruned by the profile's retention policy (keep the
last few plus daily, weekly and monthly ones) unless --no-retention.`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, {
      ...profileOption,
      to: { type: 'string' },
      'no-retention': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    })
    const profile = openCliProfile(profileDirOf(values, context))
    const bar = progressBar(context.stderr)
    try {
      const settings = requireBackupSettings(profile)
      const destination = values.to ?? settings.destination
      if (!destination)
        throw new CairnError('BACKUP_DESTINATION', 'No backup folder: give one with --to DIR.')
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
        for (const warning of result.warnings) context.stderr.write(`Warning: ${warning}\n`)
        recordBackupRun(profile, {
          lastAttemptAt: started.toISOString(),
          lastSuccessAt: result.createdAt,
          lastError: null,
        })
        if (values.json) writeJson(context, result)
        else {
          context.stdout.write(
            `Backed up ${result.files} files (${formatBytes(result.bytes)})` +
              (result.accountSecrets > 0
                ? ` and ${result.accountSecrets} account password${result.accountSecrets === 1 ? '' : 's'}`
                : '') +
              ` to ${result.path} (${formatBytes(result.size)}).\n`,
          )
          for (const name of result.deleted) context.stdout.write(`Removed old backup ${name}.\n`)
        }
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
