import { verifyBackup } from '../backup/verify.js'
import { backupSourceOptions, backupSourceUsage, openCommandBackup } from './backup-source-args.js'
import { parseCommandArgs, UsageError, writeJson, type Command } from './command.js'
import { readKeyFile, warnOn } from './key-input.js'
import { profileDirOf } from './profile-arg.js'

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'Check that a backup is intact (and, with the key, restorable)',
  usage: `cairn verify FILE|URL [--key-file F] [--profile DIR] [--json]

Without a key: checks the file's size and SHA-256 against its sidecar.
With --key-file (64 hex digits or an age identity file): also everything a
restore checks before it changes anything: it decrypts, every file matches
the manifest, each database passes SQLite's integrity check, it gives a
working profile, and its name and sidecar agree with its encrypted contents.
Exit code 0 only if the backup is good.

${backupSourceUsage}`,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        'key-file': { type: 'string' },
        profile: { type: 'string' },
        json: { type: 'boolean', default: false },
        ...backupSourceOptions,
      },
      true,
    )
    if (positionals.length !== 1) throw new UsageError('name one backup file')
    const file = positionals[0] as string
    const keys = values['key-file'] ? readKeyFile(values['key-file'], warnOn(context)) : undefined
    const source = openCommandBackup(
      file,
      values,
      values.profile ? profileDirOf(values, context) : null,
      context,
    )
    let report
    try {
      report = await verifyBackup(source, keys)
    } finally {
      await source.close()
    }
    if (values.json) writeJson(context, report)
    else {
      context.stdout.write(
        report.level === 'full'
          ? `OK: ${file} decrypts with the key ${report.keyFingerprint}; it is the backup of ${report.createdAt} ` +
              `(profile ${report.profileId}, ${report.messages} messages, ${report.files} files` +
              (report.accountSecrets ? `, ${report.accountSecrets} account passwords` : '') +
              '), and every file and database checks out.\n'
          : `OK: ${file} is intact (size and SHA-256 match its sidecar). Give --key-file to check its contents too.\n`,
      )
    }
    return 0
  },
}
