import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * SASL client mechanisms for XMPP logins: SCRAM-SHA-256 and SCRAM-SHA-1
 * (RFC 5802/7677) and PLAIN. PLAIN is offered only inside TLS (the session
 * refuses to authenticate on a plain socket at all). PBKDF2 runs in
 * node:crypto, so a login costs milliseconds on the client.
 */
export interface SaslMechanism {
  readonly name: string
  /** The initial response, sent with <auth/>. */
  start(): string
  /** The answer to a server challenge. */
  challenge(data: string): string
  /** Checks the server's final message (<success/> data); throws when it is wrong. */
  finish(data: string): void
}

export const MECHANISM_PREFERENCE = ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'] as const

export function chooseMechanism(
  offered: string[],
  username: string,
  password: string,
): SaslMechanism | null {
  for (const name of MECHANISM_PREFERENCE) {
    if (!offered.includes(name)) continue
    if (name === 'PLAIN') return plain(username, password)
    return scram(name === 'SCRAM-SHA-256' ? 'sha256' : 'sha1', name, username, password)
  }
  return null
}

function plain(username: string, password: string): SaslMechanism {
  return {
    name: 'PLAIN',
    start: () => `\0${username}\0${password}`,
    challenge: () => '',
    finish: () => undefined,
  }
}

function saslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C')
}

function parseAttributes(message: string): Map<string, string> {
  const map = new Map<string, string>()
  for (const part of message.split(',')) {
    const eq = part.indexOf('=')
    if (eq === 1) map.set(part.slice(0, 1), part.slice(2))
  }
  return map
}

function scram(
  hash: 'sha1' | 'sha256',
  name: string,
  username: string,
  password: string,
): SaslMechanism {
  const length = hash === 'sha1' ? 20 : 32
  const nonce = randomBytes(18).toString('base64')
  const clientFirstBare = `n=${saslName(username)},r=${nonce}`
  let serverSignature: Buffer | null = null
  const hmac = (key: Buffer, data: string) => createHmac(hash, key).update(data).digest()
  return {
    name,
    start: () => `n,,${clientFirstBare}`,
    challenge(serverFirst) {
      const attrs = parseAttributes(serverFirst)
      const serverNonce = attrs.get('r') ?? ''
      const salt = Buffer.from(attrs.get('s') ?? '', 'base64')
      const iterations = Number(attrs.get('i'))
      if (!serverNonce.startsWith(nonce) || serverNonce.length === nonce.length)
        throw new Error('the server answered with a nonce that is not ours')
      if (
        !Number.isInteger(iterations) ||
        iterations < 1 ||
        iterations > 10_000_000 ||
        salt.length === 0
      )
        throw new Error('the server sent unusable SCRAM parameters')
      const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, length, hash)
      const clientKey = hmac(salted, 'Client Key')
      const storedKey = createHash(hash).update(clientKey).digest()
      const withoutProof = `c=biws,r=${serverNonce}`
      const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`
      const signature = hmac(storedKey, authMessage)
      const proof = Buffer.alloc(length)
      for (let i = 0; i < length; i++)
        proof[i] = (clientKey[i] as number) ^ (signature[i] as number)
      serverSignature = hmac(hmac(salted, 'Server Key'), authMessage)
      return `${withoutProof},p=${proof.toString('base64')}`
    },
    finish(serverFinal) {
      const verifier = Buffer.from(parseAttributes(serverFinal).get('v') ?? '', 'base64')
      if (
        !serverSignature ||
        verifier.length !== serverSignature.length ||
        !timingSafeEqual(verifier, serverSignature)
      )
        throw new Error(
          'the server could not prove it knows the password (SCRAM signature mismatch)',
        )
    },
  }
}
