import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { AgeError } from '../../main/backup/age/errors'
import { AgeDecryptStream } from '../../main/backup/age/stream'
import { identityFromSecret, parseIdentity } from '../../main/backup/age/x25519'

/**
 * The C2SP CCTV age conformance vectors, vendored in test/fixtures/age-testkit
 * (with their license).
 * Cairn implements X25519 recipients; a vector that needs a feature it does
 * not offer (named in the test title) must be refused without releasing
 * anything.
 */
const VECTORS = join(import.meta.dirname, '..', 'fixtures', 'age-testkit', 'vectors')

type Feature = 'scrypt passphrases' | 'ASCII armor' | 'ML-KEM hybrid identities'
const UNSUPPORTED: readonly Feature[] = ['scrypt passphrases', 'ML-KEM hybrid identities']

interface Vector {
  name: string
  expect: string
  payload?: string
  identities: string[]
  features: Feature[]
  body: Buffer
}

function readVector(name: string): Vector {
  const raw = readFileSync(join(VECTORS, name))
  const split = raw.indexOf('\n\n')
  const fields = raw
    .subarray(0, split)
    .toString('utf8')
    .split('\n')
    .map(
      (line) =>
        [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()] as const,
    )
  const get = (key: string) => fields.filter(([k]) => k === key).map(([, v]) => v)
  const identities = get('identity')
  const features: Feature[] = []
  if (get('passphrase').length > 0) features.push('scrypt passphrases')
  if (get('armored')[0] === 'yes') features.push('ASCII armor')
  if (identities.some((id) => id.startsWith('AGE-SECRET-KEY-PQ-')))
    features.push('ML-KEM hybrid identities')
  let body = raw.subarray(split + 2)
  if (get('compressed')[0] === 'zlib') body = inflateSync(body)
  return {
    name,
    expect: get('expect')[0] as string,
    payload: get('payload')[0],
    identities,
    features,
    body,
  }
}

const vectors = readdirSync(VECTORS).sort().map(readVector)

async function decrypt(
  vector: Vector,
  identities = vector.identities.map((id) => identityFromSecret(parseIdentity(id))),
): Promise<{ released: Buffer; failure: string | null }> {
  const stream = new AgeDecryptStream(identities)
  const released: Buffer[] = []
  stream.on('data', (chunk: Buffer) => released.push(chunk))
  const done = new Promise<string | null>((resolve, reject) => {
    stream.on('end', () => resolve(null))
    stream.on('error', (error) =>
      error instanceof AgeError ? resolve(error.failure) : reject(error),
    )
  })
  // Feed in small pieces so that chunk boundaries fall inside writes.
  Readable.from(splitEvery(vector.body, 4093)).pipe(stream)
  const failure = await done
  return { released: Buffer.concat(released), failure }
}

function* splitEvery(data: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size)
}

const EXPECTED: Record<string, string> = {
  armor: 'armor failure',
  header: 'header failure',
  'no match': 'no match',
  hmac: 'HMAC failure',
  payload: 'payload failure',
}

describe('age conformance vectors (C2SP CCTV)', () => {
  it('are all present', () => {
    expect(vectors.length).toBe(143)
  })

  it('cover every X25519, stream, header, HMAC, stanza, version and empty case without skipping', () => {
    const runnable = vectors.filter((v) => !v.features.some((f) => UNSUPPORTED.includes(f)))
    for (const prefix of [
      'x25519',
      'stream_',
      'header_',
      'hmac_',
      'stanza_',
      'version_',
      'empty',
    ]) {
      const all = vectors.filter((v) => v.name.startsWith(prefix))
      expect(all.length, prefix).toBeGreaterThan(0)
      expect(runnable.filter((v) => v.name.startsWith(prefix)).length, prefix).toBe(all.length)
    }
  })

  for (const vector of vectors) {
    const missing = vector.features.filter((f) => UNSUPPORTED.includes(f))
    if (missing.length > 0) {
      // Not skipped: a file Cairn cannot open (another recipient type) must be
      // refused before a single byte of plaintext comes out.
      it(`${vector.name}: refused, releasing nothing (Cairn has no ${missing.join(', ')})`, async () => {
        const stranger = identityFromSecret(randomBytes(32))
        const { released, failure } = await decrypt(vector, [stranger])
        expect(failure).not.toBeNull()
        expect(released.length).toBe(0)
      })
      continue
    }
    it(`${vector.name}: ${vector.expect}`, async () => {
      const { released, failure } = await decrypt(vector)
      if (vector.expect === 'success') {
        expect(failure).toBeNull()
      } else {
        expect(failure === null ? 'success' : EXPECTED[failure]).toBe(vector.expect)
      }
      if (vector.payload)
        expect(createHash('sha256').update(released).digest('hex')).toBe(vector.payload)
      else expect(released.length).toBe(0)
    })
  }
})
