import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { CairnError, errnoCode } from '../shared/errors.js'

export interface HttpOptions {
  /** Extra certificate authorities to trust (a self-signed vault in tests or a private deployment). */
  ca?: Buffer | undefined
  /**
   * The most a whole request may take, answer included (30 s by default).
   * Also the longest the connection may sit silent.
   */
  timeoutMs?: number
}

export interface JsonResponse {
  status: number
  body: unknown
}

const MAX_RESPONSE_BYTES = 64 * 1024
/** Our own code for an answer cut off at MAX_RESPONSE_BYTES (no errno says it). */
const TOO_LARGE = 'CAIRN_RESPONSE_TOO_LARGE'

/**
 * POST or GET JSON with node:http(s): the same code in Electron's main
 * process and in Node. Network and TLS failures become messages a person
 * can act on; the response body is parsed but not trusted (callers check it).
 */
export function requestJson(
  url: URL,
  method: 'GET' | 'POST',
  body: unknown,
  options: HttpOptions = {},
): Promise<JsonResponse> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  const timeoutMs = options.timeoutMs ?? 30_000
  const timedOut = () => Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        ca: options.ca,
        timeout: timeoutMs,
        headers: {
          accept: 'application/json',
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': payload.length }
            : {}),
        },
      },
      (res) => {
        const parts: Buffer[] = []
        let size = 0
        res.on('data', (part: Buffer) => {
          size += part.length
          if (size > MAX_RESPONSE_BYTES)
            req.destroy(Object.assign(new Error('response too large'), { code: TOO_LARGE }))
          else parts.push(part)
        })
        res.on('end', () => {
          clearTimeout(deadline)
          let parsed: unknown = null
          try {
            parsed = JSON.parse(Buffer.concat(parts).toString('utf8'))
          } catch {
            // not JSON: callers see body null
          }
          resolve({ status: res.statusCode ?? 0, body: parsed })
        })
        res.on('error', (error) => {
          clearTimeout(deadline)
          reject(networkError(url, error))
        })
      },
    )
    req.on('timeout', () => req.destroy(timedOut()))
    // The socket timeout above fires only on silence: a vault (or anything on the way) that
    // trickles a byte now and then would hold the request, and the app's record check that
    // waits on it, for days. The whole exchange gets the same bound.
    const deadline = setTimeout(() => req.destroy(timedOut()), timeoutMs)
    req.on('error', (error) => {
      clearTimeout(deadline)
      reject(networkError(url, error))
    })
    req.end(payload)
  })
}

function networkError(url: URL, error: unknown): CairnError {
  const code = errnoCode(error) ?? ''
  const origin = url.origin
  if (
    /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|ALTNAME/.test(code) ||
    /certificate/i.test(String(error))
  ) {
    return new CairnError(
      'VAULT_UNREACHABLE',
      `The Backup Key Vault at ${origin} could not prove who it is (${code || 'TLS failure'}). Nothing was sent. Check the vault address, or the certificate authority you trust for it.`,
      { cause: error },
    )
  }
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'nothing answers there',
    ENOTFOUND: 'the name does not resolve',
    ETIMEDOUT: 'it did not answer in time',
    ECONNRESET: 'the connection was cut',
    EHOSTUNREACH: 'the host cannot be reached',
    [TOO_LARGE]: 'its answer was too large: no vault answer is over 64 KiB',
  }
  return new CairnError(
    'VAULT_UNREACHABLE',
    `Cannot reach the Backup Key Vault at ${origin} (${reasons[code] ?? (code || 'network error')}). Check your connection and try again.`,
    { cause: error },
  )
}
