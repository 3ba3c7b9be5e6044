/** What a connection authenticates with: a password, or an OAuth2 access token (XOAUTH2/OAUTHBEARER). */
export type Credentials =
  | { kind: 'password'; user: string; password: string }
  | { kind: 'oauth2'; user: string; accessToken: string }

/** Gives the current credentials of an account (reading the keychain, refreshing a token when due). */
export type CredentialSource = (accountId: number) => Promise<Credentials>
