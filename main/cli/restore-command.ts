import { restoreBackup } from '../backup/restore/restore.js'
import { parseCommandArgs, UsageError, writeJson, type Command } from './command.js'
import { keyForBackup } from './key-input.js'
import { profileDirOf, profileOption } from './profile-arg.js'
import { progressBar } from './progress.js'

/**
 * Fault injection for the crash-safety tests: CAIRN_TEST_KILL_AT_STEP=<step>
 * makes the process kill itself (SIGKILL: no cleanup runs) at that step of a
 * restore, to prove the next start finishes or undoes it.
 */
function crashForTests(step: string | undefined): ((reached: string) => void) | undefined {
  if (!step) return undefined
  return (reached) => {
    if (reached === step) process.kill(process.pid, 'SIGKILL')
  }
}

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Replace the profile with a backup',
  usage: `cairn restore FILE [--profile DIR] [--key-file F] [--json]

Verifies the whole backup first (every file's SHA-256, SQLite's integrity
check), then swaps it in for the profile. The profile is never changed
until the backup has proven good, and a crash at any step is finished or
undone the next time Cairn starts. Close the Cairn app first.

The key comes from --key-file (64 hex digits or an age key), else from the
system keychain, else it is asked for.`,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        ...profileOption,
        'key-file': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      true,
    )
    if (positionals.length !== 1) throw new UsageError('name one backup file')
    const file = positionals[0] as string
    const profileDir = profileDirOf(values, context)
    const key = await keyForBackup(file, values['key-file'])
    const bar = progressBar(context.stderr)
    try {
      const result = await restoreBackup({
        file,
        key,
        profileDir,
        onProgress: (p) => bar.update(p.bytesTotal ? p.bytesDone / p.bytesTotal : 0, 'restoring'),
        onStep: crashForTests(context.env.CAIRN_TEST_KILL_AT_STEP),
      })
      bar.done()
      const summary = {
        profile: profileDir,
        files: result.manifest.files.length,
        createdAt: result.manifest.createdAt,
      }
      if (values.json) writeJson(context, summary)
      else
        context.stdout.write(
          `Restored ${summary.files} files from the backup of ${summary.createdAt} into ${profileDir}.\n`,
        )
      return 0
    } finally {
      bar.done()
    }
  },
}
