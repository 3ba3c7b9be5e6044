import { z } from 'zod'
import type { Profile } from '../../profile/profile.js'
import { CairnError } from '../../shared/errors.js'
import { schedulePolicySchema } from '../schedule/policy.js'
import { DESTINATION_NAME } from './destination-url.js'

const retentionSchema = z.object({
  keepLast: z.number().int().min(1),
  daily: z.number().int().min(0),
  weekly: z.number().int().min(0),
  monthly: z.number().int().min(0),
})

/**
 * One named destination in the profile's settings. Nothing here is secret:
 * passwords and keys stay in the keychain (destinationSecrets); a CA
 * certificate and a host key fingerprint are public. Retention and schedule
 * are per destination (null: the profile's backup settings apply).
 */
export const destinationEntrySchema = z
  .object({
    url: z.string(),
    kind: z.enum(['folder', 's3', 'webdav', 'sftp']),
    user: z.string().nullable().default(null),
    /** S3: endpoint, region, addressing, shared-config profile; Object Lock retention. */
    endpoint: z.string().nullable().default(null),
    region: z.string().nullable().default(null),
    pathStyle: z.boolean().nullable().default(null),
    awsProfile: z.string().nullable().default(null),
    objectLock: z
      .object({
        mode: z.enum(['GOVERNANCE', 'COMPLIANCE']),
        days: z.number().int().min(1).max(36500),
      })
      .nullable()
      .default(null),
    /** WebDAV (and S3 endpoints): a certificate authority to trust, PEM. */
    ca: z.string().nullable().default(null),
    /** SFTP: the key file to log in with (its path; never its contents), and the pinned host key. */
    identityFile: z.string().nullable().default(null),
    hostKey: z
      .string()
      .regex(/^SHA256:[A-Za-z0-9+/]{43}$/)
      .nullable()
      .default(null),
    /** Bytes per second; null: no limit. */
    bandwidthLimit: z.number().int().positive().nullable().default(null),
    /** How long a silent server is waited for before Cairn gives up (seconds); null: the kind's default. */
    timeoutSeconds: z.number().int().min(1).max(3600).nullable().default(null),
    retention: retentionSchema.nullable().default(null),
    /** Non-null: the app backs up here on this schedule too (besides the profile's own destination). */
    schedule: schedulePolicySchema.nullable().default(null),
    addedAt: z.string(),
    /** What the last scheduled or manual run here did (the scheduler catches up from it). */
    lastSuccessAt: z.string().nullable().default(null),
    lastAttemptAt: z.string().nullable().default(null),
    lastError: z.string().nullable().default(null),
  })
  .loose()

export type DestinationEntry = z.infer<typeof destinationEntrySchema>

/** What `cairn destination add` gives; the run record starts empty. */
export type NewDestinationEntry = Omit<
  DestinationEntry,
  'lastSuccessAt' | 'lastAttemptAt' | 'lastError'
> &
  Partial<Pick<DestinationEntry, 'lastSuccessAt' | 'lastAttemptAt' | 'lastError'>>

const sectionSchema = z.record(z.string().regex(DESTINATION_NAME), destinationEntrySchema)

/** The profile's named destinations (settings.json, `destinations` section). */
export function readDestinations(profile: Profile): Record<string, DestinationEntry> {
  return destinationsIn(profile.settings() as Record<string, unknown>)
}

/** The named destinations in a settings object (read without opening the profile, e.g. by cairn list). */
export function destinationsIn(
  settings: Record<string, unknown>,
): Record<string, DestinationEntry> {
  const raw = settings.destinations
  if (raw === undefined || raw === null) return {}
  const parsed = sectionSchema.safeParse(raw)
  if (!parsed.success) {
    throw new CairnError(
      'SETTINGS_INVALID',
      `The destinations in this profile's settings are damaged (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}).`,
    )
  }
  return parsed.data
}

export function writeDestination(
  profile: Profile,
  name: string,
  entry: NewDestinationEntry | null,
): void {
  if (!DESTINATION_NAME.test(name))
    throw new CairnError(
      'DESTINATION_INVALID',
      `"${name}" is not a usable destination name (letters, digits, . _ -).`,
    )
  const current = readDestinations(profile)
  const next = { ...current }
  if (entry) next[name] = destinationEntrySchema.parse(entry)
  else delete next[name]
  profile.updateSettings((settings) => ({ ...settings, destinations: next }))
}

/**
 * Change one named destination's entry in place (its schedule, retention,
 * or the record of its last run); a destination removed meanwhile stays
 * removed. Returns the entry as written, or null.
 */
export function updateDestination(
  profile: Profile,
  name: string,
  change: (current: DestinationEntry) => DestinationEntry,
): DestinationEntry | null {
  let result: DestinationEntry | null = null
  profile.updateSettings((settings) => {
    const parsed = sectionSchema.safeParse((settings as Record<string, unknown>).destinations ?? {})
    if (!parsed.success) return settings
    const current = parsed.data[name]
    if (!current) return settings
    result = destinationEntrySchema.parse(change(current))
    return { ...settings, destinations: { ...parsed.data, [name]: result } }
  })
  return result
}
