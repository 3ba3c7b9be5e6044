import { formatBytes } from '../../common/format.js'
import { checkDestination, listBackups } from '../backup/destination/folder.js'
import { parseCommandArgs, UsageError, writeJson, type Command } from './command.js'

export const listCommand: Command = {
  name: 'list',
  summary: 'List the backups in a folder',
  usage: `cairn list --to DIR [--json]

Lists Cairn's backups in DIR, oldest first, from their names and sidecars
(no key needed): time, size, key fingerprint and profile. Names and sidecars
are plaintext anyone with access to the folder can change; \`cairn verify
FILE --key-file F\` checks them against the encrypted contents.`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, {
      to: { type: 'string' },
      json: { type: 'boolean', default: false },
    })
    if (!values.to) throw new UsageError('give the backup folder with --to DIR')
    checkDestination(values.to)
    const backups = listBackups(values.to).map((b) => ({
      name: b.name,
      path: b.path,
      createdAt: b.createdAt.toISOString(),
      size: b.size,
      complete: b.sidecar !== null && b.sidecar.size === b.size,
      // Name and sidecar are plaintext: when they disagree, one of them was changed after the backup was made.
      consistent:
        b.sidecar === null ||
        (b.sidecar.file === b.name &&
          Math.floor(new Date(b.sidecar.createdAt).getTime() / 1000) ===
            b.createdAt.getTime() / 1000),
      keyFingerprint: b.sidecar?.keyFingerprint ?? null,
      profileId: b.sidecar?.profileId ?? null,
      appVersion: b.sidecar?.appVersion ?? null,
    }))
    if (values.json) writeJson(context, backups)
    else if (backups.length === 0) context.stdout.write(`No Cairn backups in ${values.to}.\n`)
    else {
      for (const b of backups) {
        context.stdout.write(
          `${b.createdAt}  ${formatBytes(b.size).padStart(8)}  key ${b.keyFingerprint ?? '?'}  ${b.name}` +
            `${b.complete ? '' : '  (incomplete: no matching sidecar)'}` +
            `${b.consistent ? '' : '  (its sidecar describes another name or time: renamed or edited; verify it with the key)'}\n`,
        )
      }
    }
    return 0
  },
}
