import { createHash, randomBytes } from 'node:crypto'

/** A parsed `WWW-Authenticate: Digest …` challenge (RFC 7616). */
export interface DigestChallenge {
  realm: string
  nonce: string
  qop: string | null
  opaque: string | null
  algorithm: 'MD5' | 'SHA-256' | 'MD5-sess' | 'SHA-256-sess'
}

/** The first usable scheme of a WWW-Authenticate header: digest (preferred) or basic. */
export function parseChallenge(
  header: string | string[] | undefined,
): DigestChallenge | 'basic' | null {
  const values = Array.isArray(header) ? header : header ? [header] : []
  let basic = false
  for (const value of values) {
    if (/^\s*basic\b/i.test(value)) basic = true
    const digest = /^\s*digest\s+(.*)$/i.exec(value)
    if (!digest) continue
    const params: Record<string, string> = {}
    for (const m of (digest[1] as string).matchAll(
      /([a-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/gi,
    ))
      params[(m[1] as string).toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1')
    const algorithm = (params.algorithm ?? 'MD5').toUpperCase()
    const known = {
      MD5: 'MD5',
      'SHA-256': 'SHA-256',
      'MD5-SESS': 'MD5-sess',
      'SHA-256-SESS': 'SHA-256-sess',
    } as const
    const chosen = known[algorithm as keyof typeof known]
    if (!params.realm || !params.nonce || !chosen) continue
    const qops = (params.qop ?? '').split(',').map((q) => q.trim())
    return {
      realm: params.realm,
      nonce: params.nonce,
      qop: qops.includes('auth') ? 'auth' : null,
      opaque: params.opaque ?? null,
      algorithm: chosen,
    }
  }
  return basic ? 'basic' : null
}

/** Answers a digest challenge, counting nonce uses (nc) as the RFC asks. */
export class DigestAuth {
  private count = 0

  constructor(
    private readonly challenge: DigestChallenge,
    private readonly user: string,
    private readonly password: string,
  ) {}

  header(method: string, uri: string): string {
    const c = this.challenge
    const hash = (s: string) =>
      createHash(c.algorithm.startsWith('SHA-256') ? 'sha256' : 'md5')
        .update(s)
        .digest('hex')
    const cnonce = randomBytes(12).toString('hex')
    const nc = (++this.count).toString(16).padStart(8, '0')
    let ha1 = hash(`${this.user}:${c.realm}:${this.password}`)
    if (c.algorithm.endsWith('-sess')) ha1 = hash(`${ha1}:${c.nonce}:${cnonce}`)
    const ha2 = hash(`${method}:${uri}`)
    const response = c.qop
      ? hash(`${ha1}:${c.nonce}:${nc}:${cnonce}:${c.qop}:${ha2}`)
      : hash(`${ha1}:${c.nonce}:${ha2}`)
    const quote = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`
    return [
      `Digest username=${quote(this.user)}`,
      `realm=${quote(c.realm)}`,
      `nonce=${quote(c.nonce)}`,
      `uri=${quote(uri)}`,
      `algorithm=${c.algorithm}`,
      `response=${quote(response)}`,
      ...(c.qop ? [`qop=${c.qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`] : []),
      ...(c.opaque !== null ? [`opaque=${quote(c.opaque)}`] : []),
    ].join(', ')
  }
}
