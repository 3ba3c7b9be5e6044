import type { X509Certificate } from 'node:crypto'
import { connect as netConnect, type Socket } from 'node:net'
import {
  checkServerIdentity,
  connect as tlsConnect,
  rootCertificates,
  type TLSSocket,
} from 'node:tls'
import { CairnError, errnoCode } from '../../shared/errors.js'

/** Where and how to reach an XMPP server, and which certificates to trust. */
export interface TlsTrust {
  /** Extra CA certificates (PEM) trusted beside the system's, e.g. a company CA. */
  ca?: string | undefined
  /**
   * The SHA-256 fingerprint of a certificate the user looked at and chose to
   * trust although no CA vouches for it. Only that exact certificate passes.
   */
  trustedFingerprint?: string | undefined
}

export interface Endpoint {
  host: string
  port: number
  /** XEP-0368 direct TLS (xmpps-client); otherwise STARTTLS on a plain connection. */
  directTls: boolean
}

/** A certificate Cairn would not accept: what the user needs to decide. */
export class UntrustedCertificateError extends CairnError {
  constructor(
    readonly host: string,
    readonly fingerprint: string,
    readonly subject: string,
    readonly issuer: string,
    readonly reason: string,
  ) {
    super(
      'CHAT_TLS_UNTRUSTED',
      `The chat server ${host} presented a certificate that is not trusted (${reason}). ` +
        `Certificate SHA-256 fingerprint: ${fingerprint} (subject ${subject}, issued by ${issuer}). ` +
        'Nothing was sent. If you know this is your server, compare the fingerprint with the one your administrator gives you, then trust it explicitly (--trust-fingerprint) or give its CA (--ca FILE).',
    )
  }
}

export function openTcp(endpoint: Endpoint, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: endpoint.host, port: endpoint.port })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(unreachable(endpoint, 'no answer'))
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.setNoDelay(true)
      socket.setKeepAlive(true, 30_000)
      resolve(socket)
    })
    socket.once('error', (error) => {
      clearTimeout(timer)
      reject(unreachable(endpoint, errnoCode(error) ?? error.message))
    })
  })
}

function unreachable(endpoint: Endpoint, why: string): CairnError {
  return new CairnError(
    'CHAT_UNREACHABLE',
    `Cannot reach the chat server ${endpoint.host}:${endpoint.port} (${why}). Check the server address and your network; Cairn keeps retrying.`,
  )
}

/**
 * TLS over `socket` (STARTTLS) or a fresh connection (direct TLS), verified
 * against the system CAs plus `trust.ca`, for the XMPP domain `servername`.
 * Node's own check is turned off only so that a failure can be reported
 * with the certificate's fingerprint; the same checks (chain, then name)
 * run here, and a certificate that fails them is refused unless it is the
 * exact one the user pinned.
 */
export function startTls(
  options: { socket?: Socket; endpoint: Endpoint; servername: string; trust: TlsTrust },
  timeoutMs: number,
): Promise<TLSSocket> {
  const { endpoint, servername, trust } = options
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({
      ...(options.socket
        ? { socket: options.socket }
        : { host: endpoint.host, port: endpoint.port }),
      servername: /^[\d.]+$|:/.test(servername) ? undefined : servername,
      // Node's bundled roots stay trusted beside the extra CA.
      ca: trust.ca ? [...rootCertificates, trust.ca] : undefined,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    })
    const timer = setTimeout(() => {
      tls.destroy()
      reject(unreachable(endpoint, 'the TLS handshake timed out'))
    }, timeoutMs)
    tls.once('secureConnect', () => {
      clearTimeout(timer)
      const peer = tls.getPeerX509Certificate()
      if (!peer) {
        tls.destroy()
        reject(
          new CairnError(
            'CHAT_TLS_UNTRUSTED',
            `The chat server ${endpoint.host} sent no certificate.`,
          ),
        )
        return
      }
      const fingerprint = peer.fingerprint256
      const problem = tls.authorized
        ? identityProblem(servername, peer)
        : String(tls.authorizationError ?? 'unknown CA')
      if (
        problem &&
        normaliseFingerprint(trust.trustedFingerprint) !== normaliseFingerprint(fingerprint)
      ) {
        tls.destroy()
        reject(
          new UntrustedCertificateError(
            endpoint.host,
            fingerprint,
            peer.subject.replace(/\n/g, ', '),
            peer.issuer.replace(/\n/g, ', '),
            problem,
          ),
        )
        return
      }
      tls.setNoDelay(true)
      resolve(tls)
    })
    tls.once('error', (error) => {
      clearTimeout(timer)
      reject(unreachable(endpoint, `TLS: ${error.message}`))
    })
  })
}

function identityProblem(servername: string, peer: X509Certificate): string | null {
  const error = checkServerIdentity(servername, peer.toLegacyObject())
  return error ? `it is not valid for ${servername}` : null
}

export function normaliseFingerprint(value: string | undefined): string {
  return (value ?? '').replace(/[^0-9a-f]/gi, '').toUpperCase()
}
