import fc from 'fast-check'
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { bech32Decode, bech32Encode } from '../../main/backup/age/bech32'
import { decodeBase64, encodeBase64 } from '../../main/backup/age/base64'
import { AgeError } from '../../main/backup/age/errors'
import { AgeDecryptStream, AgeEncryptStream, CHUNK_BYTES } from '../../main/backup/age/stream'
import {
  formatIdentity,
  formatRecipient,
  identityFromSecret,
  parseIdentity,
  parseRecipient,
} from '../../main/backup/age/x25519'

const identity = identityFromSecret(randomBytes(32))

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(part as Buffer)
  return Buffer.concat(parts)
}

export async function encrypt(
  plaintext: Buffer,
  recipients = [identity.publicKey],
): Promise<Buffer> {
  return collect(Readable.from([plaintext]).pipe(new AgeEncryptStream(recipients)))
}

async function decrypt(
  file: Buffer,
  identities = [identity],
): Promise<{ plaintext: Buffer; error: AgeError | null }> {
  const stream = new AgeDecryptStream(identities)
  const parts: Buffer[] = []
  stream.on('data', (d: Buffer) => parts.push(d))
  const error = await new Promise<AgeError | null>((resolve, reject) => {
    stream.on('end', () => resolve(null))
    stream.on('error', (e) => (e instanceof AgeError ? resolve(e) : reject(e)))
    stream.end(file)
  })
  return { plaintext: Buffer.concat(parts), error }
}

describe('age encryption and decryption', () => {
  it('round-trips payloads of every size around chunk boundaries', async () => {
    for (const size of [
      0,
      1,
      CHUNK_BYTES - 1,
      CHUNK_BYTES,
      CHUNK_BYTES + 1,
      2 * CHUNK_BYTES,
      3 * CHUNK_BYTES + 17,
    ]) {
      const plaintext = randomBytes(size)
      const { plaintext: out, error } = await decrypt(await encrypt(plaintext))
      expect(error, `size ${size}`).toBeNull()
      expect(out.equals(plaintext), `size ${size}`).toBe(true)
    }
  })

  it('round-trips random payloads written in random pieces (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3 * CHUNK_BYTES }),
        fc.integer({ min: 1, max: 70_000 }),
        async (bytes, piece) => {
          const plaintext = Buffer.from(bytes)
          const pieces: Buffer[] = []
          for (let i = 0; i < plaintext.length; i += piece)
            pieces.push(plaintext.subarray(i, i + piece))
          const file = await collect(
            Readable.from(pieces).pipe(new AgeEncryptStream([identity.publicKey])),
          )
          const { plaintext: out, error } = await decrypt(file)
          expect(error).toBeNull()
          expect(out.equals(plaintext)).toBe(true)
        },
      ),
      { numRuns: 25 },
    )
  })

  it('decrypts for any one of several recipients', async () => {
    const other = identityFromSecret(randomBytes(32))
    const file = await encrypt(Buffer.from('shared'), [other.publicKey, identity.publicKey])
    expect((await decrypt(file, [identity])).plaintext.toString()).toBe('shared')
    expect((await decrypt(file, [other])).plaintext.toString()).toBe('shared')
  })

  it('says "no match" for a key the file was not encrypted to', async () => {
    const file = await encrypt(Buffer.from('secret'))
    const { plaintext, error } = await decrypt(file, [identityFromSecret(randomBytes(32))])
    expect(error?.failure).toBe('no match')
    expect(plaintext.length).toBe(0)
  })

  it('never releases plaintext past a flipped byte, wherever it is', async () => {
    const plaintext = randomBytes(2 * CHUNK_BYTES + 1000)
    const file = await encrypt(plaintext)
    const headerEnd = file.indexOf('\n', file.indexOf('\n---') + 1) + 1
    const positions = [
      0,
      5,
      30,
      headerEnd - 10,
      headerEnd - 2,
      headerEnd,
      headerEnd + 15,
      headerEnd + 16,
      headerEnd + 20,
    ]
    for (let i = 0; i < 40; i++) positions.push(Math.floor(Math.random() * file.length))
    positions.push(file.length - 1)
    for (const position of positions) {
      const damaged = Buffer.from(file)
      damaged[position] = (damaged[position] as number) ^ 0x01
      const { plaintext: out, error } = await decrypt(damaged)
      expect(error, `flip at ${position}`).not.toBeNull()
      // Whatever came out before the error is an authenticated prefix of the plaintext.
      expect(plaintext.subarray(0, out.length).equals(out), `flip at ${position}`).toBe(true)
      expect(out.length % CHUNK_BYTES, `flip at ${position}`).toBe(0)
    }
  })

  it('fails on truncation at and between chunk boundaries', async () => {
    const plaintext = randomBytes(3 * CHUNK_BYTES + 500)
    const file = await encrypt(plaintext)
    const payloadStart = file.indexOf('\n', file.indexOf('\n---') + 1) + 1 + 16
    const sealed = CHUNK_BYTES + 16
    const cuts = [
      1,
      10,
      payloadStart - 1,
      payloadStart,
      payloadStart + sealed,
      payloadStart + sealed + 1,
      payloadStart + 2 * sealed,
    ]
    cuts.push(payloadStart + 3 * sealed, file.length - 1, file.length - 16)
    for (const cut of cuts) {
      const { plaintext: out, error } = await decrypt(file.subarray(0, cut))
      expect(error, `cut at ${cut}`).not.toBeNull()
      expect(['header', 'payload']).toContain(error?.failure)
      expect(plaintext.subarray(0, out.length).equals(out)).toBe(true)
    }
  })
})

describe('age encodings', () => {
  it('formats and parses identities and recipients (bech32)', () => {
    const text = formatIdentity(identity.secret)
    expect(text).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/)
    expect(Buffer.from(parseIdentity(text)).equals(Buffer.from(identity.secret))).toBe(true)
    const recipient = formatRecipient(identity.publicKey)
    expect(recipient).toMatch(/^age1[0-9a-z]{58}$/)
    expect(Buffer.from(parseRecipient(recipient)).equals(Buffer.from(identity.publicKey))).toBe(
      true,
    )
    expect(() => parseIdentity(recipient)).toThrow(/AGE-SECRET-KEY-1/)
    const typo = `${recipient.slice(0, 10)}${recipient[10] === 'q' ? 'p' : 'q'}${recipient.slice(11)}`
    expect(() => parseRecipient(typo)).toThrow(/checksum/)
  })

  it('bech32 round-trips any bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const decoded = bech32Decode(bech32Encode('test', bytes))
        expect(decoded.hrp).toBe('test')
        expect(Buffer.from(decoded.data).equals(Buffer.from(bytes))).toBe(true)
      }),
    )
  })

  it('accepts only canonical unpadded base64', () => {
    expect(decodeBase64(encodeBase64(Buffer.from([1, 2, 3, 4])))).toEqual(Buffer.from([1, 2, 3, 4]))
    expect(() => decodeBase64('AQIDBA==')).toThrow()
    expect(() => decodeBase64('AQIDBB')).toThrow(/non-canonical/)
    expect(() => decodeBase64('A')).toThrow()
    expect(() => decodeBase64('AQ-_')).toThrow()
  })
})
