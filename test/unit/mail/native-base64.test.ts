import { describe, expect, it } from 'vitest'
import {
  decodeBase64Part,
  nativeBase64Methods,
  postalMimeBase64Decoder,
} from '../../../main/mail/import/native-base64'

/** postal-mime's own decoder, untouched (this thread never installs the native one). */
type Decoder = { update(line: Uint8Array): void; finalize(): Promise<ArrayBuffer> }
async function postalMimeDecoder(): Promise<Decoder> {
  const Decoder = (await postalMimeBase64Decoder()) as unknown as (new () => Decoder) | null
  if (!Decoder) throw new Error('postal-mime’s Base64Decoder was not found')
  return new Decoder()
}

/**
 * A part's body as postal-mime hands it over: one view per line into the
 * whole message, without its line ending (a lone CR inside a line stays).
 */
function linesOf(body: string | Uint8Array): Uint8Array[] {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : Buffer.from(body)
  const message = new Uint8Array(bytes.byteLength + 8)
  message.set(bytes, 4)
  const lines: Uint8Array[] = []
  let start = 4
  for (let i = 4; i < 4 + bytes.byteLength; i++)
    if (message[i] === 0x0a) {
      const end = message[i - 1] === 0x0d && i - 1 >= start ? i - 1 : i
      lines.push(new Uint8Array(message.buffer, start, end - start))
      start = i + 1
    }
  lines.push(new Uint8Array(message.buffer, start, 4 + bytes.byteLength - start))
  return lines
}

async function both(body: string | Uint8Array) {
  const original = await postalMimeDecoder()
  const native = Object.assign(Object.create(null) as object, nativeBase64Methods) as Decoder
  for (const line of linesOf(body)) {
    original.update(line)
    native.update(line)
  }
  return {
    expected: new Uint8Array(await original.finalize()),
    actual: new Uint8Array(await native.finalize()),
  }
}

/** A small deterministic generator, so every run tests the same bytes. */
function rng(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 4294967296
  }
}

/** Deterministic bytes, like the benchmark's attachments (4–40 KB of noise). */
function noise(seed: number, length: number): Buffer {
  const random = rng(seed)
  return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)))
}

const wrapped = (bytes: Uint8Array) =>
  Buffer.from(bytes).toString('base64').replace(/.{76}/g, '$&\r\n')

describe('base64 parts decoded natively in the mail-parsing threads', () => {
  it('finds postal-mime’s own decoder, so the parse threads can replace it', async () => {
    // Null would mean a postal-mime laid out differently: the threads would
    // quietly keep its slower decoder.
    expect(await postalMimeBase64Decoder()).not.toBeNull()
  })

  it('gives the bytes postal-mime gives for the benchmark’s attachments', async () => {
    const random = rng(11)
    for (let i = 0; i < 40; i++) {
      const bytes = noise(i, 4096 + Math.floor(random() * 36_000) + (i % 3))
      const { expected, actual } = await both(`${wrapped(bytes)}\r\n`)
      expect(Buffer.from(expected).equals(bytes)).toBe(true)
      expect(Buffer.from(actual).equals(bytes)).toBe(true)
    }
  })

  it('gives the bytes postal-mime gives for hostile and damaged parts', async () => {
    const text = Buffer.from('Grüße aus Köln, 東京 ✓ '.repeat(9)).toString('base64')
    const big = noise(99, 160_000) // past postal-mime's 100 KB chunking
    const cases: (string | Uint8Array)[] = [
      '',
      '\r\n\r\n',
      '====',
      'QQ',
      'QUI',
      'QUJD',
      'QUJDR', // one letter over: dropped
      'QUJDRA',
      'QR==', // stray bits in the last letter
      'QQ==QUI=QUJD', // padded units back to back
      'QQ=\r\n=QUI\r\n',
      'QU JD\tRE VG\r\n', // spaces and tabs inside
      'QUJD\rREVG\r\n', // a lone CR inside a line
      'QU!J@D#R$E%V^G&\r\n', // punctuation that is not base64
      'QUJD-_REVG\r\n', // the URL-safe alphabet is not base64 here
      '  \r\n' + wrapped(noise(1, 300)) + '  \r\n\r\n',
      text.replace(/.{60}/g, '$&=\r\n'), // every line padded
      text.replace(/.{76}/g, '$&\n'), // bare LF line ends
      text.slice(0, 101), // cut short mid-group
      text.slice(0, 102),
      text.slice(0, 103),
      wrapped(noise(2, 1000)).slice(0, 555), // truncated in transfer
      wrapped(big),
      wrapped(big).replace(/\r\n/g, '=\r\n'),
      Buffer.concat([
        Buffer.from('QUJD'),
        Buffer.from([0xc3, 0xa9, 0xff, 0xe2, 0x41]),
        Buffer.from('REVG\r\n'),
      ]), // bytes of other encodings
      Buffer.from([0xef, 0xbb, 0xbf, 0x51, 0x55, 0x4a, 0x44]), // a BOM first
      Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256)), // every byte value
    ]
    for (const body of cases) {
      const { expected, actual } = await both(body)
      expect({ body: String(body).slice(0, 40), bytes: [...actual] }).toEqual({
        body: String(body).slice(0, 40),
        bytes: [...expected],
      })
    }
  })

  it('gives the same bytes for parts of megabytes, decoded a megabyte at a time', async () => {
    const big = noise(5, 3_000_001)
    const text = big.toString('base64')
    const cases = [
      wrapped(big),
      // Units that end anywhere, also across the megabyte steps.
      text.replace(/.{77}/g, '$&=\r\n'),
      text.replace(/.{4001}/g, '$&==\r\n=').replace(/.{70}/g, '$&\r\n'),
      `${text.slice(0, 1_048_573)}\r\n=\r\n${text.slice(1_048_573, 2_100_003)}`,
    ]
    for (const body of cases) {
      const { expected, actual } = await both(body)
      expect(actual.byteLength).toBe(expected.byteLength)
      expect(Buffer.from(actual).equals(Buffer.from(expected))).toBe(true)
    }
  })

  it('hands back a buffer of exactly the part’s bytes', async () => {
    const decoder = Object.assign(Object.create(null) as object, nativeBase64Methods) as Decoder
    for (const line of linesOf('QUJD\r\n')) decoder.update(line)
    const first = await decoder.finalize()
    expect(first.byteLength).toBe(3)
    expect(new Uint8Array(first)).toEqual(new Uint8Array([65, 66, 67]))
    expect(decodeBase64Part([])).toHaveLength(0)
  })
})
