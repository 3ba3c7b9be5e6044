import type { SecretStore } from './keychain.js'

/**
 * What a destination secret is for: a WebDAV or SFTP password, an S3
 * secret access key, or the passphrase of an SFTP key file.
 */
export type DestinationSecretPurpose = 'password' | 'secret-access-key' | 'key-passphrase'

/**
 * The keychain entry of one destination's secret. The profile id keeps two
 * profiles (or a restored copy beside the original) apart; the destination's
 * name is the one the user gave it (cairn destination add NAME …). Nothing
 * secret ever goes into settings.json, a URL, a log or a sidecar.
 */
export function destinationSecretName(
  profileId: string,
  destination: string,
  purpose: DestinationSecretPurpose,
): string {
  return `destination:${profileId}:${destination}:${purpose}`
}

/** The keychain, narrowed to one profile's destination secrets. */
export function destinationSecrets(store: SecretStore, profileId: string) {
  return {
    get: (destination: string, purpose: DestinationSecretPurpose) =>
      store.get(destinationSecretName(profileId, destination, purpose)),
    set: (destination: string, purpose: DestinationSecretPurpose, secret: string) =>
      store.set(destinationSecretName(profileId, destination, purpose), secret),
    delete: (destination: string, purpose: DestinationSecretPurpose) =>
      store.delete(destinationSecretName(profileId, destination, purpose)),
    /** Remove every secret of a destination (when it is removed). */
    deleteAll: (destination: string) => {
      for (const purpose of ['password', 'secret-access-key', 'key-passphrase'] as const)
        store.delete(destinationSecretName(profileId, destination, purpose))
    },
  }
}

export type DestinationSecrets = ReturnType<typeof destinationSecrets>
