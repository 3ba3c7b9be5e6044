import { CairnError, errnoCode, type ErrorCode } from '../../shared/errors.js'

/**
 * The typed errors of destinations. Each message names the destination and
 * says what to do; the original error stays attached as `cause` (it never
 * holds a secret: credentials are not part of any URL or label).
 */
export function destinationError(
  code: ErrorCode,
  label: string,
  message: string,
  cause?: unknown,
): CairnError {
  return new CairnError(code, `Backup destination ${label}: ${message}`, { cause })
}

/** System errors met on the network, turned into what the user can act on. */
export function networkError(label: string, error: unknown): CairnError | null {
  const code = errnoCode(error)
  switch (code) {
    case 'ECONNREFUSED':
      return destinationError(
        'DESTINATION_UNREACHABLE',
        label,
        'the server refused the connection. Check the host and port, and that the server is running.',
        error,
      )
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return destinationError(
        'DESTINATION_UNREACHABLE',
        label,
        'the server name cannot be found. Check the address and your network connection.',
        error,
      )
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ERR_STREAM_PREMATURE_CLOSE':
      return destinationError(
        'DESTINATION_UNREACHABLE',
        label,
        `the connection to the server was lost (${code}). Check the network; nothing incomplete is ever kept, so trying again is safe.`,
        error,
      )
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
    case 'DESTINATION_TIMEOUT':
      return destinationError(
        'DESTINATION_TIMEOUT',
        label,
        'the server stopped answering (timed out). Check the network, or try again later.',
        error,
      )
    default:
      return tlsError(label, error)
  }
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_PINNED',
])

/** A certificate the client does not trust: never accepted, always explained. */
export function tlsError(label: string, error: unknown): CairnError | null {
  const code = errnoCode(error)
  if (!code || !TLS_CODES.has(code)) return null
  const why =
    code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? 'its certificate is for another name'
      : code === 'CERT_HAS_EXPIRED'
        ? 'its certificate has expired'
        : code === 'ERR_TLS_CERT_PINNED'
          ? 'its certificate is not the one pinned for it (it changed)'
          : 'its certificate is not signed by an authority Cairn trusts for it (it changed, or someone is in between)'
  return destinationError(
    'DESTINATION_TLS',
    label,
    `the server's identity could not be verified: ${why} (${code}). Nothing was sent. ` +
      'If the server really has a new certificate, give its authority with --ca FILE (cairn destination add … --ca); otherwise, do not connect.',
    error,
  )
}
