import type { AccountSecrets } from '../../keychain/account-secrets.js'
import { Emitter } from '../../shared/emitter.js'
import { CairnError } from '../../shared/errors.js'
import type { MailDb } from '../db/connection.js'
import { smtpError, smtpTransport } from '../send/smtp.js'
import {
  deleteAccount,
  getImapAccount,
  insertImapAccount,
  listImapAccounts,
  updateImapAccountConfig,
} from '../store/imap-accounts.js'
import { connectImap } from '../sync/imap-connect.js'
import { fetchCertificate } from './certificates.js'
import type { Credentials, CredentialSource } from './credentials.js'
import { discoverSettings, type DiscoveryOptions } from './discovery.js'
import type { TokenSet } from '../oauth/oauth-client.js'
import { serverFilesSent } from '../oauth/providers.js'
import type { OAuthTokenStore } from '../oauth/token-store.js'
import {
  imapAccountConfigSchema,
  type ImapAccountConfig,
  type OAuthProvider,
  type ServerSettings,
} from './server-settings.js'

export interface AccountView {
  id: number
  name: string
  email: string
  auth: 'password' | 'oauth2'
  imap: {
    host: string
    port: number
    security: ServerSettings['security']
    username: string
    pinned: string | null
  }
  smtp: {
    host: string
    port: number
    security: ServerSettings['security']
    username: string
    pinned: string | null
  }
}

export interface AddAccountInput {
  email: string
  name?: string
  /** Password accounts: the password (kept only in the keychain). */
  password?: string
  /** Manual settings; without them the settings are looked up from the address. */
  imap?: ServerSettings
  smtp?: ServerSettings
  /** OAuth2 accounts: the provider, and the tokens from a finished sign-in. */
  oauth?: { provider: OAuthProvider; tokens: TokenSet }
  allowPlaintext?: boolean
  /** A CA certificate (PEM file) to trust for both servers, for a private CA. */
  caFile?: string
  serverFilesSent?: boolean
  /** Fingerprints the user accepted after seeing them (CertificateError): pinned for that server. */
  trust?: { imap?: string; smtp?: string }
  /** Sign in to both servers before saving (default true). */
  verify?: boolean
  discovery?: DiscoveryOptions
}

export interface AccountEvents {
  [name: string]: unknown
  accountsChanged: { accountIds: number[] }
}

/**
 * Mail accounts: adding one (settings looked up or given, both servers
 * signed in to before anything is saved), listing, removing, trusting a
 * certificate. Passwords and tokens go to the OS keychain only
 * (accountSecrets), never to the database, settings or logs.
 */
export class AccountService {
  readonly events = new Emitter<AccountEvents>()

  constructor(
    private readonly db: MailDb,
    private readonly secrets: AccountSecrets,
    private readonly oauth?: OAuthTokenStore,
  ) {}

  list(): AccountView[] {
    return listImapAccounts(this.db).map((a) => ({
      id: a.id,
      name: a.name,
      email: a.email,
      auth: a.config.auth,
      imap: view(a.config.imap),
      smtp: view(a.config.smtp),
    }))
  }

  config(accountId: number): ImapAccountConfig {
    return getImapAccount(this.db, accountId).config
  }

  async add(input: AddAccountInput): Promise<{ accountId: number }> {
    const email = input.email.trim()
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$|^[^\s@]+@localhost$/.test(email))
      throw new CairnError('INVALID_ARGUMENT', `"${email}" is not an email address.`)
    let imap = input.imap
    let smtp = input.smtp
    if (!imap || !smtp) {
      const found = await discoverSettings(email, input.discovery)
      // Settings nobody was shown: a server only a DNS answer names, outside
      // the address's domain, could be anyone's (and its certificate would
      // pass for its own name), so the password is not sent there unasked.
      if (found.unconfirmed)
        throw new CairnError(
          'ACCOUNT_SETTINGS_UNCONFIRMED',
          `DNS names ${found.unconfirmed.join(' and ')} as the mail servers for ${email.split('@')[1]}, outside that domain. DNS answers can be forged, so Cairn does not send your password there without your confirmation. If your provider confirms these servers, give them explicitly (--imap and --smtp).`,
        )
      imap ??= found.imap
      smtp ??= found.smtp
    }
    if (input.caFile) {
      imap = { ...imap, caFile: imap.caFile ?? input.caFile }
      smtp = { ...smtp, caFile: smtp.caFile ?? input.caFile }
    }
    const auth = input.oauth ? 'oauth2' : 'password'
    if (auth === 'password' && !input.password)
      throw new CairnError('INVALID_ARGUMENT', 'A password is needed to add this account.')
    imap = await pinIfTrusted(imap, 'imap', input.trust?.imap)
    smtp = await pinIfTrusted(smtp, 'smtp', input.trust?.smtp)
    const config = imapAccountConfigSchema.parse({
      imap,
      smtp,
      auth,
      oauth: input.oauth?.provider,
      allowPlaintext: input.allowPlaintext ?? false,
      serverFilesSent: input.serverFilesSent ?? serverFilesSent(imap.host),
    })
    const credentialsFor = (server: ServerSettings): Credentials =>
      input.oauth
        ? { kind: 'oauth2', user: server.username, accessToken: input.oauth.tokens.accessToken }
        : { kind: 'password', user: server.username, password: input.password as string }
    if (input.verify !== false) await verifyServers(config, credentialsFor)

    const accountId = insertImapAccount(this.db, { name: input.name ?? email, email, config })
    try {
      if (input.oauth) this.requireOAuth().save(accountId, input.oauth.tokens)
      else this.secrets.set(accountId, 'password', input.password as string)
    } catch (error) {
      deleteAccount(this.db, accountId)
      throw error
    }
    this.events.emit('accountsChanged', { accountIds: [accountId] })
    return { accountId }
  }

  /** Replace the stored password (after an "auth failed" state). */
  setPassword(accountId: number, password: string): void {
    getImapAccount(this.db, accountId)
    this.secrets.set(accountId, 'password', password)
    this.events.emit('accountsChanged', { accountIds: [accountId] })
  }

  /**
   * Trust the certificate a server presents now, if it is the one the user
   * saw (same fingerprint). Another certificate is refused: the user must
   * look again.
   */
  async trustCertificate(
    accountId: number,
    which: 'imap' | 'smtp',
    fingerprint256: string,
  ): Promise<void> {
    const config = this.config(accountId)
    const pinned = await pinIfTrusted(config[which], which, fingerprint256)
    updateImapAccountConfig(this.db, accountId, { ...config, [which]: pinned })
    this.events.emit('accountsChanged', { accountIds: [accountId] })
  }

  remove(accountId: number): void {
    getImapAccount(this.db, accountId)
    deleteAccount(this.db, accountId)
    this.secrets.delete(accountId, 'password')
    this.secrets.delete(accountId, 'oauth')
    this.events.emit('accountsChanged', { accountIds: [accountId] })
  }

  /** The current credentials of an account: its password, or a fresh OAuth2 access token. */
  readonly credentials: CredentialSource = async (accountId, rejected) => {
    const config = this.config(accountId)
    if (config.auth === 'oauth2') {
      const accessToken = await this.requireOAuth().accessToken(accountId, config.oauth, {
        rejected: rejected?.kind === 'oauth2' ? rejected.accessToken : undefined,
      })
      return { kind: 'oauth2', user: config.imap.username, accessToken }
    }
    const password = this.secrets.get(accountId, 'password')
    if (password === null)
      throw new CairnError(
        'ACCOUNT_AUTH_FAILED',
        `No password is stored for account ${accountId} in the system keychain. Enter it again.`,
      )
    return { kind: 'password', user: config.imap.username, password }
  }

  private requireOAuth(): OAuthTokenStore {
    if (!this.oauth) throw new CairnError('OAUTH_FAILED', 'OAuth2 sign-in is not available here.')
    return this.oauth
  }
}

function view(server: ServerSettings) {
  return {
    host: server.host,
    port: server.port,
    security: server.security,
    username: server.username,
    pinned: server.pinned?.fingerprint256 ?? null,
  }
}

async function pinIfTrusted(
  server: ServerSettings,
  protocol: 'imap' | 'smtp',
  fingerprint: string | undefined,
): Promise<ServerSettings> {
  if (!fingerprint) return server
  const cert = await fetchCertificate(server, protocol)
  if (normalise(cert.fingerprint256) !== normalise(fingerprint))
    throw new CairnError(
      'ACCOUNT_CERT_CHANGED',
      `${server.host}:${server.port} now presents a different certificate (${cert.fingerprint256}) from the one you accepted (${fingerprint}). Nothing was trusted.`,
    )
  return { ...server, pinned: { fingerprint256: cert.fingerprint256, pem: cert.pem } }
}

function normalise(fingerprint: string): string {
  return fingerprint.replace(/[^0-9a-f]/gi, '').toUpperCase()
}

async function verifyServers(
  config: ImapAccountConfig,
  credentialsFor: (s: ServerSettings) => Credentials,
) {
  const client = await connectImap({
    server: config.imap,
    credentials: credentialsFor(config.imap),
    allowPlaintext: config.allowPlaintext,
  })
  await client.logout().catch(() => client.close())
  const transport = smtpTransport(config.smtp, credentialsFor(config.smtp), config.allowPlaintext)
  try {
    await transport.verify()
  } catch (error) {
    throw await smtpError(error, config.smtp)
  } finally {
    transport.close()
  }
}
