import { openMailDb } from '../mail/db/connection.js'
import { importMail } from '../mail/import/import-mail.js'
import { workerParser } from '../mail/import/parser-pool.js'
import { parseCommandArgs, UsageError, writeJson, type Command } from './command.js'
import { openCliProfile, profileDirOf } from './profile-arg.js'
import { progressBar } from './progress.js'
import { terminalLine, terminalText } from './terminal-text.js'

export const importCommand: Command = {
  name: 'import',
  summary: 'Import mail from mbox files and folders of .eml files',
  usage: `cairn import [--profile DIR] [--json] PATH...

Imports every message of the mbox files and .eml folders given into the
profile's Local Folders. Messages that cannot be read are skipped and listed;
messages already imported are not added twice.

  --profile DIR   the profile folder (default: CAIRN_PROFILE, then the per-user profile)
  --json          print the report as JSON`,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(
      args,
      { profile: { type: 'string' }, json: { type: 'boolean', default: false } },
      true,
    )
    if (positionals.length === 0)
      throw new UsageError('Name at least one mbox file or folder to import.')
    const profile = openCliProfile(profileDirOf(values, context))
    const bar = progressBar(context.stderr)
    try {
      const db = openMailDb(profile.paths.database)
      const parser = workerParser()
      try {
        const report = await importMail({
          db,
          parser,
          attachmentsDir: profile.paths.attachments,
          paths: positionals,
          onProgress: (p) =>
            bar.update(
              p.bytesTotal ? p.bytesDone / p.bytesTotal : 0,
              `${p.imported} imported, ${p.skipped} skipped`,
            ),
        })
        bar.done()
        if (values.json) writeJson(context, report)
        else {
          // Nothing stored and no folder kept: the reason is the whole story.
          if (report.emptyReason && report.folders.length === 0)
            context.stdout.write(`Imported 0 messages: ${terminalText(report.emptyReason)}\n`)
          else
            context.stdout.write(
              `Imported ${report.imported} message${report.imported === 1 ? '' : 's'} into ${report.folders.map(terminalLine).join(', ') || 'no folder'}` +
                (report.duplicates ? `; ${report.duplicates} were already there` : '') +
                '.\n',
            )
          for (const s of report.skipped) {
            context.stdout.write(
              `Skipped ${terminalLine(s.source)}${s.position ? `, ${s.position}` : ''}: ${terminalText(s.reason)}\n`,
            )
          }
        }
        return 0
      } finally {
        await parser.close()
        db.close()
      }
    } finally {
      bar.done()
      profile.close()
    }
  },
}
