import { randomUUID } from 'node:crypto'
import { CairnError } from '../../shared/errors.js'
import { signIn, type TokenSet } from '../oauth/oauth-client.js'
import { oauthProviderForHost } from '../oauth/providers.js'
import type { AccountService } from './account-service.js'
import { CertificateError } from './certificates.js'
import { discoverSettings, inDomain, type DiscoveryOptions } from './discovery.js'
import type { OAuthProvider, ServerSettings } from './server-settings.js'

/** One server's settings as the setup screen shows and edits them (no CA file, no pin: those are main-side). */
export interface SetupServer {
  host: string
  port: number
  security: ServerSettings['security']
  username: string
}

/** What the lookup found for an address, for the user to check or change. */
export interface SetupSettings {
  imap: SetupServer
  smtp: SetupServer
  /** Where they came from ("autoconfig.example.com", "ISPDB", …). */
  source: string
  /** The provider wants OAuth2 and Cairn has a client id for it: offer "Sign in with …". */
  oauth: { providerId: string } | null
  /**
   * Servers outside the address's domain that only DNS (SRV records, which
   * anyone on the path can forge) named: the screen asks the user to
   * confirm them, and `add` refuses them until the user did.
   */
  unconfirmed: { domain: string; hosts: string[] } | null
}

/** What the user is asked to trust, without the certificate itself. */
export interface CertificateView {
  fingerprint256: string
  subject: string
  issuer: string
  validFrom: string
  validTo: string
}

export type SetupResult =
  | { kind: 'added'; accountId: number }
  | {
      /** A certificate nothing vouches for: show it; add again with `trust` if the user accepts it. */
      kind: 'certificate'
      which: 'imap' | 'smtp'
      server: { host: string; port: number }
      changed: boolean
      reason: string
      message: string
      certificate: CertificateView | null
    }

export interface SetupInput {
  email: string
  name?: string
  password?: string
  imap: SetupServer
  smtp: SetupServer
  allowPlaintext?: boolean
  trust?: { imap?: string; smtp?: string }
  /** Hosts outside the domain the user confirmed (SetupSettings.unconfirmed). */
  confirmedHosts?: string[]
}

/** Look the settings up from the address (autoconfig, ISPDB, SRV, well-known names). */
export async function discoverForSetup(
  email: string,
  options: DiscoveryOptions = {},
  providerFor: (host: string) => OAuthProvider | null = oauthProviderForHost,
): Promise<SetupSettings> {
  const found = await discoverSettings(email, { guess: true, ...options })
  const provider = providerFor(found.imap.host)
  const domain = email.split('@')[1]?.toLowerCase() ?? ''
  const outside = found.unconfirmed
    ? [...new Set([found.imap.host, found.smtp.host].map((h) => h.toLowerCase()))].filter(
        (host) => !inDomain(host, domain),
      )
    : []
  return {
    imap: serverView(found.imap),
    smtp: serverView(found.smtp),
    source: found.source,
    oauth: provider ? { providerId: provider.id } : null,
    unconfirmed: outside.length ? { domain, hosts: outside } : null,
  }
}

/**
 * The error for settings the lookup found outside the address's domain
 * that the user has not confirmed: the password is not sent there unasked
 * (RFC 6186 §6, RFC 7817 §4).
 */
export function unconfirmedSettings(domain: string, hosts: string[]): CairnError {
  return new CairnError(
    'ACCOUNT_SETTINGS_UNCONFIRMED',
    `The settings found for ${domain} point to ${hosts.join(' and ')}, outside that domain, and only DNS (which can be forged) named ${hosts.length > 1 ? 'them' : 'it'}. Confirm them before Cairn sends your password there.`,
  )
}

/**
 * Add a password account with the settings the user saw. An untrusted or
 * changed certificate is not an error here but a question for the user:
 * the result carries the certificate and which server showed it.
 */
export function addFromSetup(accounts: AccountService, input: SetupInput): Promise<SetupResult> {
  return askingAboutCertificates(input, () =>
    accounts.add({
      email: input.email,
      name: input.name?.trim() || undefined,
      password: input.password,
      imap: { ...input.imap },
      smtp: { ...input.smtp },
      allowPlaintext: input.allowPlaintext,
      trust: input.trust,
    }),
  )
}

/** Run an add; a certificate nothing vouches for becomes the question to ask the user. */
async function askingAboutCertificates(
  servers: { imap: SetupServer; smtp: SetupServer },
  add: () => Promise<{ accountId: number }>,
): Promise<SetupResult> {
  try {
    return { kind: 'added', ...(await add()) }
  } catch (error) {
    if (!(error instanceof CertificateError)) throw error
    const which = sameServer(error.server, servers.imap)
      ? 'imap'
      : sameServer(error.server, servers.smtp)
        ? 'smtp'
        : null
    if (which === null) throw error
    const c = error.certificate
    return {
      kind: 'certificate',
      which,
      server: error.server,
      changed: error.code === 'ACCOUNT_CERT_CHANGED',
      reason: error.reason,
      message: error.message,
      certificate: c
        ? {
            fingerprint256: c.fingerprint256,
            subject: c.subject,
            issuer: c.issuer,
            validFrom: c.validFrom,
            validTo: c.validTo,
          }
        : null,
    }
  }
}

interface PendingSignIn {
  url: Promise<string>
  tokens: Promise<TokenSet>
  abort: AbortController
  provider: OAuthProvider
}

/**
 * OAuth2 sign-ins under way, by id. `start` returns the provider's page for
 * the host to open in the system browser (the Electron shell, or the
 * browser build's own window); `finish` waits for the loopback redirect and
 * adds the account. A sign-in never finished is cancelled by `close`.
 */
export class OAuthSetup {
  private readonly pending = new Map<string, PendingSignIn>()

  constructor(
    private readonly accounts: AccountService,
    private readonly providerFor: (host: string) => OAuthProvider | null = oauthProviderForHost,
  ) {}

  async start(email: string, imapHost: string): Promise<{ signInId: string; url: string }> {
    const provider = this.providerFor(imapHost)
    if (!provider)
      throw new CairnError(
        'OAUTH_FAILED',
        `Cairn has no sign-in configured for ${imapHost}. Use the password (or an app password) instead.`,
      )
    const abort = new AbortController()
    let gotUrl!: (url: string) => void
    const url = new Promise<string>((resolve) => (gotUrl = resolve))
    const tokens = signIn(provider, {
      openBrowser: gotUrl,
      loginHint: email,
      signal: abort.signal,
    })
    const signInId = randomUUID()
    this.pending.set(signInId, { url, tokens, abort, provider })
    // A sign-in that fails before it has a page to show fails the start.
    const first = await Promise.race([url, tokens.then(() => null)])
    if (first === null)
      throw new CairnError('OAUTH_FAILED', 'The sign-in ended before it began. Try again.')
    tokens.catch(() => this.pending.delete(signInId))
    return { signInId, url: first }
  }

  /**
   * Wait for the user to finish in the browser, then add the account. A
   * certificate question keeps the sign-in (its tokens) for the call that
   * answers it with `trust`; anything else ends it.
   */
  async finish(
    signInId: string,
    input: Omit<SetupInput, 'password' | 'allowPlaintext'>,
  ): Promise<SetupResult> {
    const pending = this.pending.get(signInId)
    if (!pending)
      throw new CairnError('OAUTH_FAILED', 'This sign-in is no longer under way. Start again.')
    // The access token opens the mailbox at this provider: it may go only to
    // the provider's own servers. `start` saw only the IMAP host; the
    // servers given here may differ (an SMTP host from a spoofed SRV
    // answer, a field edited since), and verifying them sends the token.
    const stranger = [input.imap.host, input.smtp.host].find(
      (host) => this.providerFor(host)?.id !== pending.provider.id,
    )
    if (stranger !== undefined) {
      this.cancel(signInId)
      throw new CairnError(
        'OAUTH_FAILED',
        `${stranger} is not a server of the provider you signed in with, so Cairn will not send it your sign-in. Use the provider's own IMAP and SMTP servers, or add the account with a password.`,
      )
    }
    let result: SetupResult | null = null
    try {
      const tokens = await pending.tokens
      result = await askingAboutCertificates(input, () =>
        this.accounts.add({
          email: input.email,
          name: input.name?.trim() || undefined,
          imap: { ...input.imap },
          smtp: { ...input.smtp },
          oauth: { provider: pending.provider, tokens },
          trust: input.trust,
        }),
      )
      return result
    } finally {
      if (result?.kind !== 'certificate') this.pending.delete(signInId)
    }
  }

  cancel(signInId: string): void {
    this.pending.get(signInId)?.abort.abort()
    this.pending.delete(signInId)
  }

  close(): void {
    for (const id of [...this.pending.keys()]) this.cancel(id)
  }
}

function serverView(server: ServerSettings): SetupServer {
  return {
    host: server.host,
    port: server.port,
    security: server.security,
    username: server.username,
  }
}

function sameServer(a: { host: string; port: number }, b: SetupServer): boolean {
  return a.host.toLowerCase() === b.host.toLowerCase() && a.port === b.port
}

/** The setup screen's main side, one per open profile: lookup, adding, OAuth2 sign-ins. */
export class AccountSetup {
  readonly oauth: OAuthSetup
  /** By address: hosts the last lookup found outside its domain, until the user confirms them. */
  private readonly unconfirmed = new Map<string, { domain: string; hosts: Set<string> }>()

  constructor(
    private readonly accounts: AccountService,
    private readonly options: {
      discovery?: DiscoveryOptions
      providerFor?: (host: string) => OAuthProvider | null
    } = {},
  ) {
    this.oauth = new OAuthSetup(accounts, options.providerFor)
  }

  async discover(email: string): Promise<SetupSettings> {
    const key = email.trim().toLowerCase()
    // A new lookup replaces the last one's question, even when it finds nothing:
    // the screen then asks nothing, and hosts the user types are the user's own
    // (an old entry would refuse them, with no way on the screen to confirm).
    this.unconfirmed.delete(key)
    const found = await discoverForSetup(email, this.options.discovery, this.options.providerFor)
    if (found.unconfirmed)
      this.unconfirmed.set(key, {
        domain: found.unconfirmed.domain,
        hosts: new Set(found.unconfirmed.hosts),
      })
    else this.unconfirmed.delete(key)
    return found
  }

  /**
   * Add with the settings the user saw. A host the lookup found outside the
   * domain is refused unless the user confirmed it: the screen asks, and
   * this holds even if a screen forgot to.
   */
  add(input: SetupInput): Promise<SetupResult> {
    const pending = this.unconfirmed.get(input.email.trim().toLowerCase())
    if (pending) {
      const confirmed = new Set(input.confirmedHosts?.map((h) => h.toLowerCase()) ?? [])
      const unasked = [
        ...new Set([input.imap.host, input.smtp.host].map((h) => h.trim().toLowerCase())),
      ].filter((host) => pending.hosts.has(host) && !confirmed.has(host))
      if (unasked.length) return Promise.reject(unconfirmedSettings(pending.domain, unasked))
    }
    return addFromSetup(this.accounts, input)
  }

  close(): void {
    this.oauth.close()
  }
}
