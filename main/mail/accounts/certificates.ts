import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { connect as netConnect, type Socket } from 'node:net'
import {
  connect as tlsConnect,
  rootCertificates,
  type ConnectionOptions,
  type PeerCertificate,
} from 'node:tls'
import { CairnError, describeError, errnoCode } from '../../shared/errors.js'
import type { ServerSettings } from './server-settings.js'

/** What the user is shown before deciding to trust a certificate. */
export interface CertificateDetails {
  fingerprint256: string
  subject: string
  issuer: string
  validFrom: string
  validTo: string
  /** The certificate itself (public), kept if the user pins it. */
  pem: string
}

/**
 * A server certificate that nothing vouches for (unknown CA, self-signed,
 * wrong name, expired), or one that differs from the certificate the user
 * pinned. Never accepted silently: the UI shows `certificate` and may pin
 * it (AccountService.trustCertificate).
 */
export class CertificateError extends CairnError {
  constructor(
    code: 'ACCOUNT_CERT_UNTRUSTED' | 'ACCOUNT_CERT_CHANGED',
    readonly server: { host: string; port: number },
    readonly certificate: CertificateDetails | null,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      code,
      code === 'ACCOUNT_CERT_CHANGED'
        ? `The certificate of ${server.host}:${server.port} changed since you trusted it (now ${certificate?.fingerprint256 ?? 'unknown'}). Someone may be intercepting the connection; trust the new certificate only if your provider confirms the change.`
        : `The certificate of ${server.host}:${server.port} is not trusted (${reason}). Its SHA-256 fingerprint is ${certificate?.fingerprint256 ?? 'unknown'}; trust it only if it matches what your provider publishes.`,
      options,
    )
  }
}

const PIN_MISMATCH = 'CAIRN_CERT_PIN_MISMATCH'

/**
 * TLS options for a server: the system's CAs plus the account's own CA
 * file; or, for a pinned certificate, that certificate alone (accepted as a
 * trust anchor even when it is not self-signed, and compared byte for byte
 * by fingerprint).
 */
export function tlsOptionsFor(server: ServerSettings): ConnectionOptions {
  const servername = /^[\d.]+$|:/.test(server.host) ? undefined : server.host
  if (server.pinned) {
    const pinned = server.pinned
    return {
      servername,
      ca: [pinned.pem],
      allowPartialTrustChain: true,
      minVersion: 'TLSv1.2',
      checkServerIdentity: (_host: string, cert: PeerCertificate) => {
        if (cert.fingerprint256 === pinned.fingerprint256) return undefined
        return Object.assign(new Error('The certificate differs from the pinned one'), {
          code: PIN_MISMATCH,
        })
      },
    }
  }
  const ca = [...rootCertificates]
  if (server.caFile) {
    try {
      ca.push(readFileSync(server.caFile, 'utf8'))
    } catch (error) {
      throw new CairnError(
        'INVALID_ARGUMENT',
        `The CA file ${server.caFile} cannot be read (${errnoCode(error) ?? describeError(error)}).`,
      )
    }
  }
  return { servername, ca, minVersion: 'TLSv1.2' }
}

const UNTRUSTED_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
  PIN_MISMATCH,
])

/** The certificate problem behind a connection error, if that is what it was. */
export function certificateProblem(error: unknown): string | null {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = errnoCode(e)
    if (code && UNTRUSTED_CODES.has(code)) return code
    e = (e as { _err?: unknown; cause?: unknown })._err ?? (e as { cause?: unknown }).cause
  }
  return null
}

/**
 * Turn a certificate failure into a CertificateError carrying the server's
 * certificate: a second connection reads it (and only reads it: nothing is
 * sent but the STARTTLS dance), so the user can see what they are asked to
 * trust.
 */
export async function certificateErrorFor(
  server: ServerSettings,
  protocol: 'imap' | 'smtp',
  problem: string,
  cause: unknown,
): Promise<CertificateError> {
  const details = await fetchCertificate(server, protocol).catch(() => null)
  const changed =
    problem === PIN_MISMATCH ||
    (server.pinned !== undefined && details?.fingerprint256 !== server.pinned.fingerprint256)
  return new CertificateError(
    changed ? 'ACCOUNT_CERT_CHANGED' : 'ACCOUNT_CERT_UNTRUSTED',
    { host: server.host, port: server.port },
    details,
    describeProblem(problem),
    { cause },
  )
}

function describeProblem(code: string): string {
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return 'it is self-signed'
    case 'CERT_HAS_EXPIRED':
      return 'it has expired'
    case 'CERT_NOT_YET_VALID':
      return 'it is not valid yet'
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'it was issued for another name'
    case PIN_MISMATCH:
      return 'it is not the certificate you trusted'
    default:
      return 'no certificate authority you trust vouches for it'
  }
}

/** Read the server's certificate without trusting it (IMAP or SMTP, TLS or STARTTLS). */
export async function fetchCertificate(
  server: ServerSettings,
  protocol: 'imap' | 'smtp',
  timeoutMs = 10_000,
): Promise<CertificateDetails> {
  const servername = /^[\d.]+$|:/.test(server.host) ? undefined : server.host
  let plain: Socket | undefined
  if (server.security === 'starttls') {
    plain = await openPlain(server.host, server.port, timeoutMs)
    await startTls(plain, protocol, timeoutMs)
  }
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      ...(plain ? { socket: plain } : { host: server.host, port: server.port }),
      servername,
      rejectUnauthorized: false,
    })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('timed out reading the certificate'))
    }, timeoutMs)
    socket.once('secureConnect', () => {
      clearTimeout(timer)
      const cert = socket.getPeerCertificate()
      socket.destroy()
      if (!cert?.raw) return reject(new Error('the server sent no certificate'))
      const x509 = new X509Certificate(cert.raw)
      resolve({
        fingerprint256: x509.fingerprint256,
        subject: x509.subject,
        issuer: x509.issuer,
        validFrom: x509.validFrom,
        validTo: x509.validTo,
        pem: x509.toString(),
      })
    })
    socket.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
}

function openPlain(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port, timeout: timeoutMs })
    socket.once('connect', () => resolve(socket))
    socket.once('timeout', () => {
      socket.destroy()
      reject(new Error('timed out'))
    })
    socket.once('error', reject)
  })
}

/** The minimal STARTTLS exchange: greeting, (EHLO,) STARTTLS, ready. */
async function startTls(socket: Socket, protocol: 'imap' | 'smtp', timeoutMs: number) {
  const lines = lineReader(socket, timeoutMs)
  if (protocol === 'imap') {
    await lines((l) => l.startsWith('* '))
    socket.write('c1 STARTTLS\r\n')
    await lines(
      (l) => l.startsWith('c1 '),
      (l) => /^c1 OK/i.test(l),
    )
  } else {
    await lines(
      (l) => /^\d{3} /.test(l),
      (l) => l.startsWith('220'),
    )
    socket.write('EHLO cairn.invalid\r\n')
    await lines(
      (l) => /^\d{3} /.test(l),
      (l) => l.startsWith('250'),
    )
    socket.write('STARTTLS\r\n')
    await lines(
      (l) => /^\d{3} /.test(l),
      (l) => l.startsWith('220'),
    )
  }
  socket.removeAllListeners('data')
}

function lineReader(socket: Socket, timeoutMs: number) {
  let buffer = ''
  return (last: (line: string) => boolean, ok: (line: string) => boolean = () => true) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out')), timeoutMs)
      const onData = (data: Buffer) => {
        buffer += data.toString('latin1')
        if (buffer.length > 65536) return done(new Error('the server sent an overlong line'))
        let index: number
        while ((index = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, index).replace(/\r$/, '')
          buffer = buffer.slice(index + 1)
          if (last(line))
            return done(ok(line) ? null : new Error(`the server refused STARTTLS: ${line}`))
        }
      }
      const done = (error: Error | null) => {
        clearTimeout(timer)
        socket.off('data', onData)
        if (error) reject(error)
        else resolve()
      }
      socket.on('data', onData)
    })
}
