import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { rootCertificates } from 'node:tls'
import { CairnError } from '../../shared/errors.js'
import { isLoopbackHost } from '../accounts/server-settings.js'

/**
 * POST a form to an OAuth endpoint and read its JSON answer (capped at
 * 1 MB). HTTPS only, except to this machine.
 */
export function postForm(
  url: string,
  form: Record<string, string>,
  options: { caFile?: string; timeoutMs?: number } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const u = new URL(url)
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopbackHost(u.hostname)))
    throw new CairnError('OAUTH_FAILED', `The sign-in server ${u.host} must be reached over HTTPS.`)
  const body = new URLSearchParams(form).toString()
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest
  const ca = options.caFile
    ? [...rootCertificates, readFileSync(options.caFile, 'utf8')]
    : undefined
  return new Promise((resolve, reject) => {
    const req = request(
      u,
      {
        method: 'POST',
        ca,
        timeout: options.timeoutMs ?? 30_000,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => {
          size += c.length
          if (size > 1024 * 1024) req.destroy(new Error('answer too large'))
          else chunks.push(c)
        })
        res.on('end', () => {
          let json: unknown
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'))
          } catch {
            json = null
          }
          if (typeof json !== 'object' || json === null || Array.isArray(json))
            return reject(
              new CairnError(
                'OAUTH_FAILED',
                `${u.host} answered the sign-in with something that is not JSON (HTTP ${res.statusCode}).`,
              ),
            )
          resolve({ status: res.statusCode ?? 0, json: json as Record<string, unknown> })
        })
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', (error) =>
      reject(
        error instanceof CairnError
          ? error
          : new CairnError(
              'OAUTH_FAILED',
              `${u.host} cannot be reached for sign-in (${error.message}).`,
              { cause: error },
            ),
      ),
    )
    req.end(body)
  })
}
