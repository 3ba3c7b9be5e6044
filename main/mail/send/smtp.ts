import nodemailer from 'nodemailer'
import type SMTPTransport from 'nodemailer/lib/smtp-transport'
import { CairnError, describeError, errnoCode } from '../../shared/errors.js'
import { certificateErrorFor, certificateProblem, tlsOptionsFor } from '../accounts/certificates.js'
import {
  withTokenRefreshedOnce,
  type Credentials,
  type CredentialSource,
} from '../accounts/credentials.js'
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
 * current credentials (a refused OAuth2 token refreshed once, as for IMAP:
 * withTokenRefreshedOnce); any failure comes out as smtpError's CairnError.
 * The outbox would otherwise wait for a sync to refresh a dead token.
 */
export async function withSmtpAs<T>(
  accountId: number,
  source: CredentialSource,
  options: { server: ServerSettings; allowPlaintext: boolean },
  use: (transport: Transport) => Promise<T>,
): Promise<T> {
  return withTokenRefreshedOnce(accountId, source, async (credentials) => {
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
  })
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
