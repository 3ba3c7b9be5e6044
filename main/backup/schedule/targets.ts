import type { BackupSettings } from '../backup-settings.js'
import type { DestinationKind } from '../destination/destination.js'
import { parseDestinationAddress } from '../destination/destination-url.js'
import {
  resolveDestination,
  type DestinationSpec,
  type NamedDestinations,
} from '../destination/resolve.js'
import type { RetentionPolicy } from '../destination/retention.js'
import type { SchedulePolicy } from './policy.js'

/** The id of the profile's own backup destination (the backup section's `destination`). */
export const PROFILE_TARGET = 'profile'

/**
 * One place the app backs up to, with its own schedule, retention and
 * record of runs: the profile's backup destination (the backup section of
 * the settings) and every named destination that has a schedule of its own
 * (for example the folder every hour, S3 every night).
 */
export interface BackupTarget {
  /** 'profile', or `named:<name>` for a named destination with its own schedule. */
  id: string
  /** The named destination's name, when it is one. */
  name: string | null
  kind: DestinationKind
  /** A folder path or a URL; never a secret. */
  location: string
  spec: DestinationSpec
  schedule: SchedulePolicy | null
  retention: RetentionPolicy
  bandwidthLimit: number | null
  lastSuccessAt: string | null
  lastAttemptAt: string | null
  lastError: string | null
}

/**
 * Every destination the profile backs up to, the profile's own first. A
 * named destination used as the profile's destination is listed once (its
 * own schedule and retention, where set, win). A damaged entry is left out
 * rather than stopping the others.
 */
export function backupTargets(
  settings: BackupSettings | null,
  named: NamedDestinations,
): BackupTarget[] {
  if (!settings) return []
  const targets: BackupTarget[] = []
  let primaryName: string | null = null
  if (settings.destination) {
    try {
      const spec = resolveDestination(settings.destination, named, '/')
      primaryName = spec.name
      const entry = spec.entry
      targets.push({
        id: PROFILE_TARGET,
        name: spec.name,
        kind: parseDestinationAddress(spec.address).kind as DestinationKind,
        location: spec.address,
        spec,
        schedule: entry?.schedule ?? settings.schedule,
        retention: entry?.retention ?? settings.retention,
        bandwidthLimit: entry?.bandwidthLimit ?? null,
        lastSuccessAt: settings.lastSuccessAt,
        lastAttemptAt: settings.lastAttemptAt,
        lastError: settings.lastError,
      })
    } catch {
      // An address that no longer parses: the run reports it (see scheduler).
      targets.push(brokenPrimary(settings))
    }
  }
  for (const [name, entry] of Object.entries(named)) {
    if (!entry.schedule || name === primaryName) continue
    targets.push({
      id: `named:${name}`,
      name,
      kind: entry.kind,
      location: entry.url,
      spec: { address: entry.url, name, entry },
      schedule: entry.schedule,
      retention: entry.retention ?? settings.retention,
      bandwidthLimit: entry.bandwidthLimit,
      lastSuccessAt: entry.lastSuccessAt,
      lastAttemptAt: entry.lastAttemptAt,
      lastError: entry.lastError,
    })
  }
  return targets
}

function brokenPrimary(settings: BackupSettings): BackupTarget {
  const address = settings.destination as string
  return {
    id: PROFILE_TARGET,
    name: null,
    kind: 'folder',
    location: address,
    spec: { address, name: null, entry: null },
    schedule: settings.schedule,
    retention: settings.retention,
    bandwidthLimit: null,
    lastSuccessAt: settings.lastSuccessAt,
    lastAttemptAt: settings.lastAttemptAt,
    lastError: settings.lastError,
  }
}
