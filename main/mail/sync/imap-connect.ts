import { ImapFlow, type ImapFlowOptions } from 'imapflow'
import { CairnError, describeError, errnoCode } from '../../shared/errors.js'
import { certificateErrorFor, certificateProblem, tlsOptionsFor } from '../accounts/certificates.js'
import {
  withTokenRefreshedOnce,
  type Credentials,
  type CredentialSource,
} from '../accounts/credentials.js'
import { assertTransportAllowed, type ServerSettings } from '../accounts/server-settings.js'

/**
 * A message larger than this is kept as headers only (its body is listed
 * as unavailable); the IMAP parser refuses any literal above it, so a
 * server announcing a 2 GB literal costs no memory.
 */
export const MAX_LITERAL_BYTES = 300 * 1024 * 1024

export interface ImapConnectOptions {
  server: ServerSettings
  credentials: Credentials
  allowPlaintext: boolean
  expungeHandler?: ImapFlowOptions['expungeHandler']
  /** Milliseconds of silence after which the socket counts as dead. */
  socketTimeout?: number
}

/**
 * Open an authenticated IMAP connection, or fail with a CairnError the
 * account state can show: wrong password, untrusted or changed
 * certificate (with its fingerprint), unreachable, or a server that does
 * not speak IMAP properly.
 */
export async function connectImap(options: ImapConnectOptions): Promise<ImapFlow> {
  const { server, credentials } = options
  assertTransportAllowed(server, options.allowPlaintext)
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: server.security === 'tls',
    doSTARTTLS:
      server.security === 'starttls' ? true : server.security === 'plain' ? false : undefined,
    tls: tlsOptionsFor(server),
    auth:
      credentials.kind === 'password'
        ? { user: credentials.user, pass: credentials.password }
        : { user: credentials.user, accessToken: credentials.accessToken },
    logger: false,
    qresync: true,
    disableAutoIdle: true,
    connectionTimeout: 30_000,
    greetingTimeout: 16_000,
    socketTimeout: options.socketTimeout ?? 5 * 60_000,
    maxLiteralSize: MAX_LITERAL_BYTES,
    maxResponseSize: MAX_LITERAL_BYTES + 1024 * 1024,
    expungeHandler: options.expungeHandler,
    clientInfo: { name: 'Cairn' },
  })
  // A connection-level error after connect() fails the running command
  // with a bare "no connection"; the real cause arrives here (and without a
  // listener it would crash the process), so it is kept for the caller.
  client.on('error', (error: Error) => connectionErrors.set(client, error))
  try {
    await client.connect()
  } catch (error) {
    client.close()
    throw await imapError(error, server)
  }
  return client
}

/**
 * connectImap with an account's current credentials, a refused OAuth2
 * token refreshed once (withTokenRefreshedOnce): one from a provider that
 * gave no expiry (no expires_in) is never refreshed otherwise, and the user
 * would be asked to sign in again while a working refresh token sits in
 * the keychain.
 */
export async function connectImapAs(
  accountId: number,
  source: CredentialSource,
  options: Omit<ImapConnectOptions, 'credentials'>,
): Promise<ImapFlow> {
  return withTokenRefreshedOnce(accountId, source, (credentials) =>
    connectImap({ ...options, credentials }),
  )
}

const connectionErrors = new WeakMap<ImapFlow, Error>()

/** Why the connection failed, when a command only says "no connection" (a 2 GB literal, garbage). */
export function connectionError(client: ImapFlow): Error | undefined {
  return connectionErrors.get(client)
}

/** The CairnError for a failure talking to an IMAP server. */
export async function imapError(error: unknown, server: ServerSettings): Promise<CairnError> {
  if (error instanceof CairnError) return error
  const problem = certificateProblem(error)
  if (problem) return certificateErrorFor(server, 'imap', problem, error)
  const e = error as { authenticationFailed?: boolean; code?: string; responseText?: string }
  if (e.authenticationFailed)
    return new CairnError(
      'ACCOUNT_AUTH_FAILED',
      `${server.host} refused the sign-in for ${server.username}${e.responseText ? ` (${e.responseText})` : ''}. Check the password (or sign in again), then retry.`,
      { cause: error },
    )
  return networkOrProtocolError(error, `${server.host}:${server.port}`)
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'NoConnection',
  'EConnectionClosed',
  'ClosedAfterConnectText',
  'ClosedAfterConnectTLS',
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
  'ETIMEOUT',
  'StateLogout',
])

export function networkOrProtocolError(error: unknown, where: string): CairnError {
  const code = errnoCode(error) ?? ''
  if (NETWORK_CODES.has(code) || /closed|socket|timeout/i.test(describeError(error)))
    return new CairnError(
      'ACCOUNT_UNREACHABLE',
      `${where} cannot be reached (${code || describeError(error)}). Cairn keeps what it has and tries again when the connection is back.`,
      { cause: error },
    )
  return new CairnError(
    'ACCOUNT_PROTOCOL',
    `${where} sent an answer Cairn cannot use (${code ? `${code}: ` : ''}${describeError(error).slice(0, 200)}). Nothing stored was lost; sync retries later.`,
    { cause: error },
  )
}
