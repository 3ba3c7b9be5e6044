import nodemailer from 'nodemailer'
import type SMTPTransport from 'nodemailer/lib/smtp-transport'
import { CairnError, describeError, errnoCode, isCairnError } from '../../shared/errors.js'
import { certificateErrorFor, certificateProblem, tlsOptionsFor } from '../accounts/certificates.js'
import type { Credentials, CredentialSource } from '../accounts/credentials.js'
import { assertTransportAllowed, type ServerSettings } from '../accounts/server-settings.js'
import { networkOrProtocolError } from '../sync/imap-connect.js'

/** An SMTP submission transport for one server: TLS or mandatory STARTTLS, XOAUTH2 for OAuth accounts. */
export function smtpTransport(
  server: ServerSettings,
  credentials: Credentials,
  allowPlaintext: boolean,
) {
  assertTransportAllowed(server, allowPlaintext)
  const options: SMTPTransport.Options = {
    host: server.host,
    port: server.port,
    secure: server.security === 'tls',
    requireTLS: server.security === 'starttls',
    ignoreTLS: server.security === 'plain',
    tls: tlsOptionsFor(server),
    auth:
      credentials.kind === 'password'
        ? { user: credentials.user, pass: credentials.password }
        : { type: 'OAuth2', user: credentials.user, accessToken: credentials.accessToken },
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 120_000,
    name: 'cairn.invalid',
    logger: false,
  }
  return nodemailer.createTransport(options)
}

type Transport = ReturnType<typeof smtpTransport>

/**
 * Run `use` on a transport to the account's SMTP server, signed in with its
 * current credentials; any failure comes out as smtpError's CairnError. An
 * OAuth2 token the server refuses gets one refresh and one more try before
 * the refusal stands, as connectImapAs does for IMAP: a token can die before
 * its time (revoked, clocks apart, a provider that gave no expiry), and the
 * outbox would otherwise wait for a sync to refresh it. Trying again is safe:
 * a refused AUTH comes before MAIL FROM, so nothing was submitted.
 */
export async function withSmtpAs<T>(
  accountId: number,
  source: CredentialSource,
  options: { server: ServerSettings; allowPlaintext: boolean },
  use: (transport: Transport) => Promise<T>,
): Promise<T> {
  const attempt = async (credentials: Credentials): Promise<T> => {
    const transport = smtpTransport(
      options.server,
      { ...credentials, user: options.server.username },
      options.allowPlaintext,
    )
    try {
      return await use(transport)
    } catch (error) {
      throw await smtpError(error, options.server)
    } finally {
      transport.close()
    }
  }
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

/** True when retrying cannot help (the server refused the message or a recipient for good). */
export function isPermanentSmtpFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { responseCode?: number }).responseCode
  const kind = errnoCode(error)
  return typeof code === 'number' && code >= 500 && code < 600 && kind !== 'EAUTH'
}

/** The CairnError for a failure talking to an SMTP server. */
export async function smtpError(error: unknown, server: ServerSettings): Promise<CairnError> {
  if (error instanceof CairnError) return error
  const problem = certificateProblem(error)
  if (problem) return certificateErrorFor(server, 'smtp', problem, error)
  const code = errnoCode(error)
  const response = (error as { response?: string }).response
  if (code === 'EAUTH' || code === 'ENOAUTH')
    return new CairnError(
      'ACCOUNT_AUTH_FAILED',
      `${server.host} refused the sign-in for sending (${response ?? describeError(error)}). Check the password (or sign in again).`,
      { cause: error },
    )
  if (code === 'ECONNECTION' || code === 'ETIMEDOUT' || code === 'ESOCKET' || code === 'EDNS')
    return new CairnError(
      'ACCOUNT_UNREACHABLE',
      `${server.host}:${server.port} cannot be reached for sending (${describeError(error)}). The message stays in the outbox and is sent when the server is back.`,
      { cause: error },
    )
  if (typeof (error as { responseCode?: number }).responseCode === 'number')
    return new CairnError(
      'SEND_FAILED',
      `${server.host} did not accept the message: ${response ?? describeError(error)}`,
      { cause: error },
    )
  return networkOrProtocolError(error, `${server.host}:${server.port}`)
}
