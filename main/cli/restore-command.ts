import { describeRestorePlan as describePlan } from '../backup/manager/describe-plan.js'
import { planRestore } from '../backup/restore/restore.js'
import { resolveProfilePath } from '../backup/restore/profile-path.js'
import type { BackupSource } from '../backup/destination/backup-source.js'
import { parseDestinationAddress } from '../backup/destination/destination-url.js'
import type { BackupKey } from '../backup/key/backup-key.js'
import { runningAppOf, type ControlFile } from '../profile/app-control.js'
import { CairnError, isCairnError } from '../shared/errors.js'
import { askRunningApp } from './app-control-client.js'
import { backupSourceOptions, backupSourceUsage, openCommandBackup } from './backup-source-args.js'
import {
  parseCommandArgs,
  UsageError,
  writeJson,
  type CliContext,
  type Command,
} from './command.js'
import { keyForBackup } from './key-input.js'
import { profileDirOf, profileOption } from './profile-arg.js'
import { progressBar } from './progress.js'
import { promptLine } from './prompt.js'

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Replace the profile with a backup',
  usage: `cairn restore FILE|URL [--profile DIR] [--key-file F] [--force] [--json]

Verifies the whole backup first (every file's SHA-256, SQLite's structural
check of each database, that it gives a working profile), then swaps it in
for the profile (cairn verify also compares every index with its data).
The profile is never changed until the backup has proven good, and a crash
at any step is finished or undone the next time Cairn starts. The profile
keeps its own backup key and backup settings. While the Cairn app has the
profile open, the app carries the restore out (it closes the profile,
swaps it and opens the restored one) and this command shows its progress.

It asks first (on a terminal; elsewhere it refuses unless --force) when the
backup is older than the profile's newest backup, is another profile's,
has a name or sidecar that disagrees with its contents, or holds account
passwords the keychain cannot take now.

The key comes from --key-file (64 hex digits or an age identity file), else
from the system keychain, else it is asked for.

${backupSourceUsage} A connection lost while reading is resumed where it
stopped; if it cannot be, the restore stops before changing anything.`,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        ...profileOption,
        'key-file': { type: 'string' },
        force: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        ...backupSourceOptions,
      },
      true,
    )
    if (positionals.length !== 1) throw new UsageError('name one backup file')
    const file = positionals[0] as string
    const profileDir = profileDirOf(values, context)
    const backup = openCommandBackup(file, values, resolveProfilePath(profileDir), context)
    try {
      return await restoreFrom(backup, file, profileDir, values, context)
    } finally {
      await backup.close()
    }
  },
}

async function restoreFrom(
  backup: BackupSource,
  file: string,
  profileDir: string,
  values: { 'key-file'?: string | undefined; force: boolean; json: boolean },
  context: CliContext,
): Promise<number> {
  {
    const { key, source } = await keyForBackup(
      backup,
      values['key-file'],
      context,
      resolveProfilePath(profileDir),
    )
    const app = runningAppOf(resolveProfilePath(profileDir))
    if (app) {
      const address = parseDestinationAddress(file)
      if (address.kind !== 'folder')
        throw new CairnError(
          'PROFILE_LOCKED',
          'The Cairn app has this profile open; it restores backups from files and folders. Close the app to restore from a URL.',
        )
      return restoreThroughApp(
        app,
        address.path,
        key,
        source === 'keychain' ? 'keychain' : 'user',
        {
          force: values.force === true,
          json: values.json === true,
          context,
        },
      )
    }
    const bar = progressBar(context.stderr)
    const plan = await planRestore({
      file,
      source: backup,
      key,
      profileDir,
      keyCustody: source === 'keychain' ? 'keychain' : 'user',
      onProgress: (p) => bar.update(p.bytesTotal ? p.bytesDone / p.bytesTotal : 0, 'verifying'),
    }).finally(() => bar.done())
    try {
      const { summary, confirmations } = plan
      if (confirmations.length > 0 && !values.force) {
        const reasons = confirmations.map((c) => c.message).join('\n  ')
        if (!process.stdin.isTTY || values.json) {
          throw new CairnError(
            'RESTORE_NEEDS_CONFIRMATION',
            `${describePlan(summary)}\n  ${reasons}\nNothing was changed. To restore it anyway, run the command again with --force.`,
          )
        }
        context.stderr.write(`${describePlan(summary)}\n  ${reasons}\n`)
        const answer = (await promptLine('Restore it anyway? [y/N] ')).trim().toLowerCase()
        if (answer !== 'y' && answer !== 'yes') {
          context.stderr.write('Nothing was changed.\n')
          return 1
        }
      }
      const result = await plan.execute({ confirm: confirmations.map((c) => c.kind) })
      for (const warning of result.warnings) context.stderr.write(`Warning: ${warning}\n`)
      const report = {
        profile: summary.live.profileDir,
        files: summary.backup.files,
        createdAt: summary.backup.createdAt,
        profileId: summary.backup.profileId,
        messagesBefore: summary.live.messages,
        messagesAfter: summary.backup.messages,
        replacedProfileId: summary.live.profileId,
        accountSecretsRestored: result.accountSecretsRestored,
        confirmed: confirmations.map((c) => c.kind),
        warnings: result.warnings,
      }
      if (values.json) writeJson(context, report)
      else
        context.stdout.write(
          `Restored ${report.files} files from the backup of ${report.createdAt} into ${report.profile}: ` +
            `the mailbox now holds ${report.messagesAfter} messages ` +
            (summary.live.exists
              ? `(it held ${report.messagesBefore ?? 'an unreadable number of'})`
              : '(a new profile)') +
            (result.accountSecretsRestored > 0
              ? `, and ${result.accountSecretsRestored} account password${result.accountSecretsRestored === 1 ? ' is' : 's are'} back in the keychain`
              : '') +
            '.\n',
        )
      return 0
    } finally {
      plan.discard()
    }
  }
}

/** The app holds the profile: it restores (as its restore wizard does) and this command follows it. */
async function restoreThroughApp(
  app: ControlFile,
  file: string,
  key: BackupKey,
  custody: 'keychain' | 'user',
  options: { force: boolean; json: boolean; context: CliContext },
): Promise<number> {
  const { context } = options
  const bar = progressBar(context.stderr)
  if (!options.json)
    context.stderr.write('The Cairn app has this profile open; it carries out the restore.\n')
  let declined = false
  try {
    const { result, warnings } = await askRunningApp(
      app,
      {
        command: 'restore',
        file,
        key: Buffer.from(key.secret).toString('hex'),
        custody,
        force: options.force,
      },
      {
        onProgress: (p) =>
          bar.update(
            p.bytesTotal ? p.bytesDone / p.bytesTotal : 0,
            p.phase === 'checking' ? 'verifying' : p.phase.replace(/-/g, ' '),
          ),
        onPlan: async (plan) => {
          bar.done()
          const reasons = plan.confirmations.map((c) => c.message).join('\n  ')
          if (!process.stdin.isTTY || options.json) {
            throw new CairnError(
              'RESTORE_NEEDS_CONFIRMATION',
              `${plan.description}\n  ${reasons}\nNothing was changed. To restore it anyway, run the command again with --force.`,
            )
          }
          context.stderr.write(`${plan.description}\n  ${reasons}\n`)
          const answer = (await promptLine('Restore it anyway? [y/N] ')).trim().toLowerCase()
          declined = answer !== 'y' && answer !== 'yes'
          return !declined
        },
      },
    )
    bar.done()
    for (const warning of warnings) context.stderr.write(`Warning: ${warning}\n`)
    const report = result as {
      profile: string
      files: number
      createdAt: string
      messagesBefore: number | null
      messagesAfter: number
      existed: boolean
      accountSecretsRestored: number
    }
    if (options.json) writeJson(context, { ...report, warnings })
    else
      context.stdout.write(
        `The app restored ${report.files} files from the backup of ${report.createdAt} into ${report.profile}: ` +
          `the mailbox now holds ${report.messagesAfter} messages ` +
          (report.existed
            ? `(it held ${report.messagesBefore ?? 'an unreadable number of'})`
            : '(a new profile)') +
          (report.accountSecretsRestored > 0
            ? `, and ${report.accountSecretsRestored} account password${report.accountSecretsRestored === 1 ? ' is' : 's are'} back in the keychain`
            : '') +
          '.\n',
      )
    return 0
  } catch (error) {
    if (declined && isCairnError(error, 'RESTORE_NEEDS_CONFIRMATION')) {
      context.stderr.write('Nothing was changed.\n')
      return 1
    }
    throw error
  } finally {
    bar.done()
  }
}
