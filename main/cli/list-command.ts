import { formatBytes } from '../../common/format.js'
import { openSpec, resolveDestination } from '../backup/destination/resolve.js'
import { parseCommandArgs, UsageError, writeJson, type Command } from './command.js'
import { profileDirOf } from './profile-arg.js'
import { profileDestinations } from './profile-destinations.js'

export const listCommand: Command = {
  name: 'list',
  summary: 'List the backups in a folder or a destination',
  usage: `cairn list --to FOLDER|URL|NAME [--profile DIR] [--json]

Lists Cairn's backups in a folder, a bucket or a server folder
(s3://BUCKET[/PREFIX], webdav(s)://HOST[:PORT]/PATH,
sftp://USER@HOST[:PORT]/PATH), or in one of the profile's named
destinations (give --profile for those: their settings and keychain
secrets), oldest first, from their names and sidecars (no key needed):
time, size, kind (full, or +N: link N of a chain from the full above it),
key fingerprint and profile; --json also gives each backup's chain, base
(its full backup) and parent. Other files there, and backups
still being written, are not listed. Names and sidecars are plaintext
anyone with access to the place can change; \`cairn verify FILE --key-file
F\` checks them against the encrypted contents.`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, {
      to: { type: 'string' },
      profile: { type: 'string' },
      json: { type: 'boolean', default: false },
    })
    if (!values.to) throw new UsageError('give the backups’ place with --to FOLDER, URL or NAME')
    const { named, secrets } = profileDestinations(
      values.profile ? profileDirOf(values, context) : null,
    )
    const spec = resolveDestination(values.to, named)
    const destination = openSpec(spec, secrets, { env: context.env })
    try {
      const backups = (await destination.list()).map((b) => ({
        name: b.name,
        path: destination.locate(b.name),
        createdAt: b.createdAt.toISOString(),
        size: b.size,
        complete: b.complete,
        // Name and sidecar are plaintext: when they disagree, one of them was changed after the backup was made.
        consistent:
          b.sidecarNames === null ||
          (b.sidecarNames === b.name &&
            b.sidecar !== null &&
            Math.floor(new Date(b.sidecar.createdAt).getTime() / 1000) ===
              b.createdAt.getTime() / 1000),
        keyFingerprint: b.sidecar?.keyFingerprint ?? null,
        profileId: b.sidecar?.profileId ?? null,
        appVersion: b.sidecar?.appVersion ?? null,
        // Chains (from the sidecar: a backup without chain fields is a full one made before chains).
        kind: b.sidecar ? (b.sidecar.kind ?? 'full') : null,
        chainId: b.sidecar?.chainId ?? null,
        chainIndex: b.sidecar ? (b.sidecar.chainIndex ?? 0) : null,
        base: b.sidecar
          ? b.sidecar.kind === 'incremental'
            ? (b.sidecar.base ?? null)
            : b.name
          : null,
        parent: b.sidecar?.parent ?? null,
      }))
      if (values.json) writeJson(context, backups)
      else if (backups.length === 0)
        context.stdout.write(`No Cairn backups in ${destination.label}.\n`)
      else {
        for (const b of backups) {
          context.stdout.write(
            `${b.createdAt}  ${formatBytes(b.size).padStart(8)}  ${(b.kind === 'incremental' ? `  +${b.chainIndex ?? '?'}` : (b.kind ?? '?')).padEnd(4)}  key ${b.keyFingerprint ?? '?'}  ${b.name}` +
              `${b.complete ? '' : '  (incomplete: no matching sidecar)'}` +
              `${b.consistent ? '' : '  (its sidecar describes another name or time: renamed or edited; verify it with the key)'}\n`,
          )
        }
      }
      return 0
    } finally {
      await destination.close()
    }
  },
}
