import type { SecretStore } from './keychain.js'

/**
 * What an account secret is for: a password, or an OAuth2 token set (a JSON
 * document the OAuth module owns). Destinations (S3, WebDAV, SFTP) use their
 * own purposes under their own names.
 */
export type AccountSecretPurpose = 'password' | 'oauth'

/**
 * The keychain entry of one account's secret. Mail and chat accounts live in
 * the same `accounts` table, so the row id names the account; the profile id
 * keeps two profiles on one machine (or a restored copy beside the original)
 * from ever reading or overwriting each other's entries.
 *
 * Backups list these names from the accounts table, read the secrets and
 * carry them inside the encrypted archive only; a restore writes them back.
 */
export function accountSecretName(
  profileId: string,
  accountId: number,
  purpose: AccountSecretPurpose,
): string {
  return `account:${profileId}:${accountId}:${purpose}`
}

/** The keychain, narrowed to one profile's account secrets. */
export function accountSecrets(store: SecretStore, profileId: string) {
  return {
    get: (accountId: number, purpose: AccountSecretPurpose) =>
      store.get(accountSecretName(profileId, accountId, purpose)),
    set: (accountId: number, purpose: AccountSecretPurpose, secret: string) =>
      store.set(accountSecretName(profileId, accountId, purpose), secret),
    delete: (accountId: number, purpose: AccountSecretPurpose) =>
      store.delete(accountSecretName(profileId, accountId, purpose)),
  }
}

export type AccountSecrets = ReturnType<typeof accountSecrets>
