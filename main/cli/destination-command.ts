import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { destinationSecrets } from '../keychain/destination-secrets.js'
import { osKeychain } from '../keychain/keychain.js'
import {
  readDestinations,
  writeDestination,
  type DestinationEntry,
} from '../backup/destination/destination-settings.js'
import { DESTINATION_NAME, parseDestinationAddress } from '../backup/destination/destination-url.js'
import { openDestination, openNamedDestination } from '../backup/destination/open-destination.js'
import type { Destination } from '../backup/destination/destination.js'
import { HostKeyError } from '../backup/destination/sftp/host-key.js'
import { CairnError, errnoCode, isCairnError } from '../shared/errors.js'
import {
  parseCommandArgs,
  runSubcommand,
  UsageError,
  writeJson,
  type CliContext,
  type Command,
} from './command.js'
import { openCliProfile, profileDirOf, profileOption } from './profile-arg.js'
import { promptLine, readStdin } from './prompt.js'
import { terminalText } from './terminal-text.js'

export const destinationCommand: Command = {
  name: 'destination',
  summary: 'Add, list, test or remove named backup destinations (folder, S3, WebDAV, SFTP)',
  usage: `cairn destination add --profile DIR NAME URL [--user NAME] [--password-stdin] [--identity FILE] [--ca FILE]
                      [--endpoint URL] [--region R] [--path-style] [--aws-profile P]
                      [--object-lock-days N [--object-lock-mode governance|compliance]]
                      [--host-key SHA256:…] [--bandwidth-limit BYTES_PER_S] [--timeout SECONDS] [--no-test]
cairn destination list --profile DIR [--json]
cairn destination test --profile DIR [NAME] [--json]
cairn destination remove --profile DIR NAME

URL is a folder path, s3://BUCKET[/PREFIX], webdav://HOST[:PORT]/PATH,
webdavs://HOST[:PORT]/PATH or sftp://USER@HOST[:PORT]/PATH.
Secrets go to the system keychain, never into settings: --password-stdin
reads a WebDAV or SFTP password, an S3 secret access key (with --user
ACCESS_KEY_ID), or with --identity the key file's passphrase. Without a
stored secret, S3 uses the standard AWS chain (environment, shared
credentials file, --aws-profile) and AWS_ENDPOINT_URL_S3; WebDAV may take
CAIRN_DESTINATION_PASSWORD. An SFTP server's host key is shown on first
contact and pinned once you accept it (--host-key SHA256:… for scripts).`,
  async run(args, context) {
    return runSubcommand(args, context, { add, list, test, remove })
  },
}

async function add(args: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      ...profileOption,
      user: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      identity: { type: 'string' },
      ca: { type: 'string' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      'path-style': { type: 'boolean' },
      'aws-profile': { type: 'string' },
      'object-lock-days': { type: 'string' },
      'object-lock-mode': { type: 'string' },
      'host-key': { type: 'string' },
      'bandwidth-limit': { type: 'string' },
      timeout: { type: 'string' },
      'no-test': { type: 'boolean', default: false },
    },
    true,
  )
  const [name, url, ...extra] = positionals
  if (!name || !url || extra.length > 0) throw new UsageError('give a NAME and a URL')
  if (!DESTINATION_NAME.test(name))
    throw new UsageError('a destination name has letters, digits, ".", "_" or "-" (up to 64)')
  const address = parseDestinationAddress(url)
  if (address.kind === 'name')
    throw new UsageError('URL must be a folder or an address, not a name')
  const lockDays =
    values['object-lock-days'] === undefined ? null : Number(values['object-lock-days'])
  if (lockDays !== null && (!Number.isInteger(lockDays) || lockDays < 1))
    throw new UsageError('--object-lock-days takes a whole number of days')
  const lockMode = (values['object-lock-mode'] ?? 'governance').toUpperCase()
  if (lockMode !== 'GOVERNANCE' && lockMode !== 'COMPLIANCE')
    throw new UsageError('--object-lock-mode is governance or compliance')
  const limit = values['bandwidth-limit'] === undefined ? null : Number(values['bandwidth-limit'])
  if (limit !== null && (!Number.isInteger(limit) || limit < 1024))
    throw new UsageError('--bandwidth-limit takes bytes per second (at least 1024)')
  const timeout = values.timeout === undefined ? null : Number(values.timeout)
  if (timeout !== null && (!Number.isInteger(timeout) || timeout < 1 || timeout > 3600))
    throw new UsageError('--timeout takes whole seconds (1 to 3600)')
  const entry: DestinationEntry = {
    url: address.kind === 'folder' ? address.path : url,
    kind: address.kind,
    user:
      values.user ??
      (address.kind === 'sftp' ? address.user : address.kind === 'webdav' ? address.user : null),
    endpoint: values.endpoint ?? null,
    region: values.region ?? null,
    pathStyle: values['path-style'] ?? null,
    awsProfile: values['aws-profile'] ?? null,
    objectLock: lockDays ? { mode: lockMode, days: lockDays } : null,
    ca: values.ca ? readText(values.ca, 'certificate authority') : null,
    identityFile: values.identity ? resolve(values.identity) : null,
    hostKey: null,
    bandwidthLimit: limit,
    timeoutSeconds: timeout,
    retention: null,
    schedule: null,
    addedAt: new Date().toISOString(),
    lastSuccessAt: null,
    lastAttemptAt: null,
    lastError: null,
  }
  const secret = values['password-stdin'] ? (await readStdin()).replace(/\r?\n$/, '') : null
  if (values['password-stdin'] && !secret) throw new UsageError('--password-stdin read nothing')
  if (address.kind === 's3' && secret && !entry.user)
    throw new UsageError(
      'for S3, --password-stdin reads the secret access key: give its key id with --user',
    )
  const purpose =
    address.kind === 's3'
      ? 'secret-access-key'
      : address.kind === 'sftp' && entry.identityFile
        ? 'key-passphrase'
        : 'password'

  const profile = openCliProfile(profileDirOf(values, context))
  try {
    const secrets = destinationSecrets(osKeychain(), profile.id)
    if (!values['no-test']) {
      const attempt = async (hostKey: string | null) => {
        const destination = openDestination(
          address,
          { ...entry, hostKey },
          {
            env: context.env,
            secrets: { get: (p) => (p === purpose ? secret : null) },
          },
        )
        try {
          return await destination.test()
        } finally {
          await destination.close()
        }
      }
      let report
      try {
        report = await attempt(values['host-key'] ?? null)
      } catch (error) {
        if (!(error instanceof HostKeyError) || error.kind !== 'unknown') throw error
        if (!(await acceptHostKey(error, context))) throw error
        entry.hostKey = error.fingerprint
        report = await attempt(entry.hostKey)
      }
      if (address.kind === 'sftp') entry.hostKey ??= values['host-key'] ?? null
      context.stdout.write(`Checked ${report.label}: ${report.checks.join(', ')}.\n`)
    } else if (address.kind === 'sftp') entry.hostKey = values['host-key'] ?? null
    // A name given again is a new destination: secrets kept for its old address must not follow it.
    secrets.deleteAll(name)
    if (secret) secrets.set(name, purpose, secret)
    writeDestination(profile, name, entry)
    context.stdout.write(`Added destination "${name}" (${entry.kind}).\n`)
    return 0
  } finally {
    profile.close()
  }
}

/** On a terminal, show a new server's fingerprint and ask; elsewhere, the error says to pass --host-key. */
async function acceptHostKey(error: HostKeyError, context: CliContext): Promise<boolean> {
  if (!process.stdin.isTTY) return false
  context.stderr.write(
    `The server's ${error.algorithm} host key fingerprint is\n  ${error.fingerprint}\n` +
      'Check it with the server’s administrator (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the server).\n',
  )
  return /^y(es)?$/i.test((await promptLine('Trust this server and pin its key? [y/N] ')).trim())
}

async function list(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...profileOption,
    json: { type: 'boolean', default: false },
  })
  const profile = openCliProfile(profileDirOf(values, context))
  try {
    const entries = Object.entries(readDestinations(profile)).map(([name, e]) => ({
      name,
      kind: e.kind,
      url: e.url,
      user: e.user,
      hostKey: e.hostKey,
      objectLock: e.objectLock,
      bandwidthLimit: e.bandwidthLimit,
    }))
    if (values.json) writeJson(context, entries)
    else if (entries.length === 0)
      context.stdout.write('No destinations yet (cairn destination add).\n')
    else
      for (const e of entries)
        context.stdout.write(
          `${e.name.padEnd(16)} ${e.kind.padEnd(7)} ${e.url}${e.user ? `  (as ${e.user})` : ''}\n`,
        )
    return 0
  } finally {
    profile.close()
  }
}

async function test(args: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    { ...profileOption, json: { type: 'boolean', default: false } },
    true,
  )
  const profile = openCliProfile(profileDirOf(values, context))
  try {
    const all = readDestinations(profile)
    const names = positionals.length ? positionals : Object.keys(all)
    const secrets = destinationSecrets(osKeychain(), profile.id)
    const results: {
      name: string
      ok: boolean
      checks?: string[]
      details?: Record<string, string>
      error?: string
      code?: string
    }[] = []
    for (const name of names) {
      const entry = all[name]
      if (!entry)
        throw new CairnError(
          'NOT_FOUND',
          `There is no destination named "${name}" (cairn destination list).`,
        )
      // One that cannot even be opened (its SSH key file gone) fails alone; the others are still tested.
      let destination: Destination | null = null
      try {
        destination = openNamedDestination(name, entry, secrets, { env: context.env })
        const report = await destination.test()
        results.push({ name, ok: true, checks: report.checks, details: report.details })
      } catch (error) {
        if (!isCairnError(error)) throw error
        results.push({ name, ok: false, error: error.message, code: error.code })
      } finally {
        await destination?.close()
      }
    }
    if (values.json) writeJson(context, results)
    else
      for (const r of results)
        context.stdout.write(
          r.ok
            ? `${r.name}: OK (${r.checks?.join(', ')})\n`
            : `${r.name}: FAILED: ${terminalText(r.error ?? '')}\n`,
        )
    return results.every((r) => r.ok) ? 0 : 1
  } finally {
    profile.close()
  }
}

async function remove(args: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { ...profileOption }, true)
  const [name] = positionals
  if (!name || positionals.length > 1) throw new UsageError('give the NAME of one destination')
  const profile = openCliProfile(profileDirOf(values, context))
  try {
    if (!readDestinations(profile)[name])
      throw new CairnError(
        'NOT_FOUND',
        `There is no destination named "${name}" (cairn destination list).`,
      )
    writeDestination(profile, name, null)
    destinationSecrets(osKeychain(), profile.id).deleteAll(name)
    context.stdout.write(`Removed destination "${name}" (its backups are left where they are).\n`)
    return 0
  } finally {
    profile.close()
  }
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new CairnError(
      'INVALID_ARGUMENT',
      `Cannot read the ${what} file ${path} (${errnoCode(error) ?? 'error'}).`,
    )
  }
}
