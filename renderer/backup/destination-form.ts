import type { AddDestinationOutcome, BackupStatus, MethodInput } from '../../main/ipc/contract'
import { timeView } from './status-view'

/**
 * The destination control's view model: the fields a user types for each
 * kind, turned into the backup service's `addDestination` input (or the
 * first thing to fix, in words), and each destination's status and
 * connection test said in words.
 */
export type DestinationKindChoice = 'folder' | 's3' | 'webdav' | 'sftp'

export const KIND_LABELS: Record<DestinationKindChoice, string> = {
  folder: 'A folder (on this computer, a drive or a network share)',
  s3: 'S3 storage (Amazon S3, MinIO, Backblaze B2, Wasabi…)',
  webdav: 'WebDAV (Nextcloud, ownCloud, a NAS)',
  sftp: 'SFTP (a server you reach with SSH)',
}

/** Everything the cloud editor's fields hold, as typed. */
export interface DestinationFields {
  name: string
  hours: string
  bucket: string
  prefix: string
  endpoint: string
  region: string
  accessKeyId: string
  secretAccessKey: string
  url: string
  user: string
  password: string
  address: string
  identityFile: string
}

export const EMPTY_FIELDS: DestinationFields = {
  name: '',
  hours: '24',
  bucket: '',
  prefix: '',
  endpoint: '',
  region: '',
  accessKeyId: '',
  secretAccessKey: '',
  url: '',
  user: '',
  password: '',
  address: '',
  identityFile: '',
}

export type AddInput = MethodInput<'backup.addDestination'>

const orNull = (text: string) => (text.trim() ? text.trim() : null)

/**
 * The service input for these fields, or the first problem in words. The
 * service checks everything again (it trusts nothing the renderer sends);
 * this only spares the user a round trip for what is plainly missing.
 */
export function addInputFrom(
  kind: Exclude<DestinationKindChoice, 'folder'>,
  fields: DestinationFields,
  trustHostKey: string | null = null,
): { input: AddInput; problem: null } | { input: null; problem: string } {
  const fail = (problem: string) => ({ input: null, problem }) as const
  const name = fields.name.trim()
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name))
    return fail('Give the destination a short name: letters, digits, ".", "_" or "-".')
  const hours = Number(fields.hours)
  if (!Number.isInteger(hours) || hours < 1 || hours > 168)
    return fail('Back up every 1 to 168 hours (168 is once a week).')
  const schedule = { kind: 'interval' as const, hours }
  let form: AddInput['form']
  switch (kind) {
    case 's3': {
      const bucket = fields.bucket.trim()
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
        return fail('Give the bucket’s name (lower-case letters, digits, "." and "-").')
      const accessKeyId = orNull(fields.accessKeyId)
      const secretAccessKey = fields.secretAccessKey || null
      if (Boolean(accessKeyId) !== Boolean(secretAccessKey))
        return fail(
          'Give both the access key ID and its secret, or neither (then the system’s AWS settings are used).',
        )
      form = {
        kind,
        bucket,
        prefix: fields.prefix.trim().replace(/^\/+/, ''),
        endpoint: orNull(fields.endpoint),
        region: orNull(fields.region),
        accessKeyId,
        secretAccessKey,
      }
      break
    }
    case 'webdav': {
      const url = fields.url.trim()
      if (!/^(webdavs?|https?):\/\/\S+$/i.test(url))
        return fail(
          'Give the WebDAV address, starting with https:// (like https://cloud.example.com/remote.php/dav/files/you/Backups).',
        )
      form = { kind, url, user: orNull(fields.user), password: fields.password || null }
      break
    }
    case 'sftp': {
      const address = fields.address.trim().replace(/^sftp:\/\//i, '')
      if (!/^[^\s@/]+@[^\s/]+\/\S*$/.test(address))
        return fail('Give the server as user@host:port/folder (like me@nas.local:22/backups).')
      const identityFile = orNull(fields.identityFile)
      if (identityFile && !identityFile.startsWith('/') && !/^[A-Za-z]:\\/.test(identityFile))
        return fail('Give the full path of the key file (like /home/you/.ssh/id_ed25519).')
      if (!identityFile && !fields.password)
        return fail('Give the password, or the key file to log in with.')
      form = { kind, address, password: fields.password || null, identityFile }
      break
    }
  }
  return { input: { name, form, schedule, trustHostKey }, problem: null }
}

/** What adding answered, in words, and whether a host key waits for the user's decision. */
export function addOutcomeView(outcome: AddDestinationOutcome): {
  ok: boolean
  text: string
  hostKey: { fingerprint: string; algorithm: string } | null
} {
  if (outcome.ok)
    return {
      ok: true,
      text: `Connection works (${outcome.checks.join(', ')}). The destination is added.`,
      hostKey: null,
    }
  return { ok: false, text: outcome.error.message, hostKey: outcome.hostKey }
}

/** A connection test's verdict in words. */
export function connectionVerdict(
  test: { ok: true; checks: string[] } | { ok: false; error: { message: string } },
): { ok: boolean; text: string } {
  return test.ok
    ? { ok: true, text: `Connection works: ${test.checks.join(', ')}.` }
    : { ok: false, text: `Connection failed: ${test.error.message}` }
}

export interface DestinationRow {
  id: string
  title: string
  kindLabel: string
  location: string
  state: 'running' | 'failing' | 'ok' | 'never'
  lastSuccess: string
  lastError: string | null
  next: string
  removable: boolean
}

const SHORT_KIND: Record<DestinationKindChoice, string> = {
  folder: 'Folder',
  s3: 'S3',
  webdav: 'WebDAV',
  sftp: 'SFTP',
}

/** One row per destination: what it is, and its last success, last error and next run in words. */
export function destinationRows(status: BackupStatus, now: Date = new Date()): DestinationRow[] {
  return status.destinations.map((d) => {
    const success = timeView(d.lastSuccessAt, now)
    const next = timeView(d.nextRunAt, now)
    return {
      id: d.id,
      title: d.name ?? 'This profile’s backup destination',
      kindLabel: SHORT_KIND[d.kind],
      location: d.location,
      state: d.running ? 'running' : d.lastError ? 'failing' : success ? 'ok' : 'never',
      lastSuccess: success ? `${success.relative} (${success.absolute})` : 'none yet',
      lastError: d.lastError,
      next: d.running
        ? 'backing up now'
        : next
          ? `${next.relative} (${next.absolute})`
          : 'when you ask (no schedule)',
      removable: d.id.startsWith('named:') && d.name !== null,
    }
  })
}
