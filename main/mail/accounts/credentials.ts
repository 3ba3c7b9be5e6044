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
