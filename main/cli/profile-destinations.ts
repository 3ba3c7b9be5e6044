import { destinationsIn } from '../backup/destination/destination-settings.js'
import type { NamedDestinations, SecretLookup } from '../backup/destination/resolve.js'
import { readSettingsJson } from '../backup/restore/keep-custody.js'
import { destinationSecrets } from '../keychain/destination-secrets.js'
import { osKeychain } from '../keychain/keychain.js'
import { profilePaths } from '../profile/layout.js'

/**
 * A profile's named destinations and their keychain secrets, read from its
 * settings file without opening the profile (no lock: `cairn list` and
 * `cairn verify` work while the app has it open). An unreadable profile
 * has none.
 */
export function profileDestinations(profileDir: string | null): {
  named: NamedDestinations
  secrets: SecretLookup | null
} {
  if (!profileDir) return { named: {}, secrets: null }
  const settings = readSettingsJson(profilePaths(profileDir).settings)
  const profileId = typeof settings?.profileId === 'string' ? settings.profileId : null
  if (!settings || !profileId) return { named: {}, secrets: null }
  return {
    named: destinationsIn(settings),
    secrets: destinationSecrets(osKeychain(), profileId),
  }
}
