import { isCairnError } from '../../shared/errors.js'

/** What a connection authenticates with: a password, or an OAuth2 access token (XOAUTH2/OAUTHBEARER). */
export type Credentials =
  | { kind: 'password'; user: string; password: string }
  | { kind: 'oauth2'; user: string; accessToken: string }

/**
 * Gives the current credentials of an account (reading the keychain,
 * refreshing a token when due). With `rejected`, the credentials a server
 * just refused: an OAuth2 token is then refreshed whatever its expiry says
 * (a password comes back as it is).
 */
export type CredentialSource = (accountId: number, rejected?: Credentials) => Promise<Credentials>

/**
 * Run `attempt` with the account's current credentials. An OAuth2 token the
 * server refuses (ACCOUNT_AUTH_FAILED) gets one refresh and one more try
 * before the refusal stands: a token can die before its time (revoked,
 * clocks apart, a provider that gave no expiry). IMAP and SMTP sign in
 * through this; a refused sign-in comes before anything is sent, so trying
 * again is safe.
 */
export async function withTokenRefreshedOnce<T>(
  accountId: number,
  source: CredentialSource,
  attempt: (credentials: Credentials) => Promise<T>,
): Promise<T> {
  const credentials = await source(accountId)
  try {
    return await attempt(credentials)
  } catch (error) {
    if (credentials.kind !== 'oauth2' || !isCairnError(error, 'ACCOUNT_AUTH_FAILED')) throw error
    const fresh = await source(accountId, credentials)
    if (fresh.kind !== 'oauth2' || fresh.accessToken === credentials.accessToken) throw error
    return attempt(fresh)
  }
}
