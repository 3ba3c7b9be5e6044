import { z } from 'zod'
import type { AccountSecrets } from '../../keychain/account-secrets.js'
import { CairnError } from '../../shared/errors.js'
import type { OAuthProvider } from '../accounts/server-settings.js'
import { refreshTokens, type TokenSet } from './oauth-client.js'

const tokenSetSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string().nullable(),
  expiresAt: z.number().nullable(),
})

/** Refresh this long before the access token expires, so no command starts with a token about to die. */
export const REFRESH_MARGIN_MS = 2 * 60_000

/**
 * An account's OAuth2 tokens, kept as one JSON document in the keychain
 * (purpose 'oauth'), refreshed before expiry. Refreshes of one account are
 * single-flight: two connections asking at once share one refresh (a
 * rotating refresh token may be used only once).
 */
export class OAuthTokenStore {
  private inFlight = new Map<number, Promise<string>>()

  constructor(
    private readonly secrets: AccountSecrets,
    private readonly refresh: (
      provider: OAuthProvider,
      refreshToken: string,
    ) => Promise<TokenSet> = refreshTokens,
    private readonly now: () => number = Date.now,
  ) {}

  save(accountId: number, tokens: TokenSet): void {
    this.secrets.set(accountId, 'oauth', JSON.stringify(tokens))
  }

  read(accountId: number): TokenSet | null {
    const text = this.secrets.get(accountId, 'oauth')
    if (text === null) return null
    try {
      return tokenSetSchema.parse(JSON.parse(text))
    } catch {
      return null
    }
  }

  /**
   * The access token to sign in with, refreshed first when it expires
   * within REFRESH_MARGIN_MS, or when it is `rejected` (a server just
   * refused it: revoked, or dead before its time, or from a provider that
   * never said when it expires). A rejected token that cannot be refreshed
   * (no refresh token) comes back as it is: the server's refusal stands.
   */
  async accessToken(
    accountId: number,
    provider: OAuthProvider | undefined,
    options: { rejected?: string } = {},
  ): Promise<string> {
    const running = this.inFlight.get(accountId)
    if (running) return running
    const tokens = this.read(accountId)
    if (!tokens)
      throw new CairnError(
        'ACCOUNT_AUTH_FAILED',
        'This account has no sign-in stored in the system keychain. Sign in again.',
      )
    // A rejected token no longer stored was replaced meanwhile (another
    // connection's refresh): the stored one is tried, not refreshed again.
    const rejected = options.rejected !== undefined && options.rejected === tokens.accessToken
    if (rejected && (!tokens.refreshToken || !provider)) return tokens.accessToken
    if (
      !rejected &&
      (tokens.expiresAt === null || tokens.expiresAt - this.now() > REFRESH_MARGIN_MS)
    )
      return tokens.accessToken
    if (!tokens.refreshToken || !provider)
      throw new CairnError(
        'ACCOUNT_AUTH_FAILED',
        'The sign-in for this account has expired. Sign in again.',
      )
    const work = this.refresh(provider, tokens.refreshToken).then((next) => {
      this.save(accountId, next)
      return next.accessToken
    })
    this.inFlight.set(accountId, work)
    try {
      return await work
    } finally {
      this.inFlight.delete(accountId)
    }
  }
}
