import { z } from 'zod'
import { CairnError } from '../../shared/errors.js'

/**
 * How Cairn reaches one server. `tls`: TLS from the first byte (IMAPS 993,
 * SMTPS 465); `starttls`: plaintext greeting, then an upgrade that must
 * succeed (IMAP 143, submission 587); `plain`: no encryption at all, allowed
 * only to a loopback address or when the user explicitly asked for it.
 */
export const serverSchema = z.object({
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  security: z.enum(['tls', 'starttls', 'plain']),
  username: z.string().min(1).max(320),
  /** A CA certificate file (PEM) to trust besides the system's, for a private CA. */
  caFile: z.string().optional(),
  /**
   * A certificate the user looked at and chose to trust although no CA
   * vouches for it. Only this exact certificate is accepted; another one,
   * even a valid one, is refused until the user looks again.
   */
  pinned: z.object({ fingerprint256: z.string(), pem: z.string() }).optional(),
})
export type ServerSettings = z.infer<typeof serverSchema>

/** An OAuth2 provider as configuration: endpoints and the client id registered for Cairn. */
export const oauthProviderSchema = z.object({
  /** A short name ("google", "microsoft", or a local one in tests). */
  id: z.string().min(1),
  issuer: z.string().url().optional(),
  authorizationEndpoint: z.string().url(),
  tokenEndpoint: z.string().url(),
  clientId: z.string().min(1),
  scopes: z.array(z.string()).min(1),
  /** Extra authorization parameters the provider needs for a refresh token (Google: access_type=offline; OpenID: prompt=consent). */
  authParams: z.record(z.string(), z.string()).optional(),
  /** PEM CA file for the provider's HTTPS endpoints, for a private CA. */
  caFile: z.string().optional(),
})
export type OAuthProvider = z.infer<typeof oauthProviderSchema>

/** What accounts.config_json holds for an IMAP account: settings, never secrets. */
export const imapAccountConfigSchema = z
  .object({
    imap: serverSchema,
    smtp: serverSchema,
    auth: z.enum(['password', 'oauth2']),
    oauth: oauthProviderSchema.optional(),
    /** The user accepted sending the password unencrypted to a non-loopback host. */
    allowPlaintext: z.boolean().default(false),
    /** The server files a copy of sent mail itself (Gmail does), so Cairn does not append one. */
    serverFilesSent: z.boolean().default(false),
  })
  .loose()
export type ImapAccountConfig = z.infer<typeof imapAccountConfigSchema>

export function parseAccountConfig(json: string, accountId: number): ImapAccountConfig {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    value = undefined
  }
  const parsed = imapAccountConfigSchema.safeParse(value)
  if (!parsed.success)
    throw new CairnError(
      'ACCOUNT_NOT_FOUND',
      `The settings of account ${accountId} are damaged (${parsed.error.issues[0]?.message ?? 'invalid'}). Remove the account and add it again.`,
    )
  return parsed.data
}

/** True for an address that never leaves this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '')
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h)
}

/** Refuse to send credentials in cleartext anywhere but to this machine, unless the user said so. */
export function assertTransportAllowed(server: ServerSettings, allowPlaintext: boolean): void {
  if (server.security === 'plain' && !isLoopbackHost(server.host) && !allowPlaintext)
    throw new CairnError(
      'ACCOUNT_PLAINTEXT_REFUSED',
      `${server.host}:${server.port} would be reached without encryption, so your password and mail could be read on the way. Use TLS or STARTTLS, or allow unencrypted connections explicitly for this account.`,
    )
}

/**
 * A server URL as the CLI takes it: imaps://HOST:PORT, imap://HOST:PORT
 * (STARTTLS), smtps://HOST:PORT, smtp://HOST:PORT (STARTTLS); `+plain`
 * after the scheme (imap+plain://) asks for no encryption.
 */
export function parseServerUrl(
  text: string,
  protocol: 'imap' | 'smtp',
  username: string,
): ServerSettings {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new CairnError(
      'INVALID_ARGUMENT',
      `"${text}" is not a server URL (like ${protocol}s://mail.example.com).`,
    )
  }
  const scheme = url.protocol.replace(/:$/, '')
  const table: Record<string, { security: ServerSettings['security']; port: number }> =
    protocol === 'imap'
      ? {
          imaps: { security: 'tls', port: 993 },
          imap: { security: 'starttls', port: 143 },
          'imap+plain': { security: 'plain', port: 143 },
        }
      : {
          smtps: { security: 'tls', port: 465 },
          smtp: { security: 'starttls', port: 587 },
          'smtp+plain': { security: 'plain', port: 587 },
        }
  const kind = table[scheme]
  if (!kind || !url.hostname)
    throw new CairnError(
      'INVALID_ARGUMENT',
      `"${text}" is not a ${protocol.toUpperCase()} server URL: use ${Object.keys(table)
        .map((s) => `${s}://HOST:PORT`)
        .join(', ')}.`,
    )
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : kind.port,
    security: kind.security,
    username,
  }
}
