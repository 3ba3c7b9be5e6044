import { Transform, type TransformCallback } from 'node:stream'
import { ByteQueue } from './byte-queue.js'
import { AgeError, headerError, payloadError } from './errors.js'
import { encodeHeader, encodeHeaderWithoutMac, parseHeader, type Header } from './header.js'
import {
  constantTimeEqual,
  hkdf,
  hmac,
  openInto,
  random,
  sealInto,
  TAG_BYTES,
} from './primitives.js'
import {
  checkX25519Stanza,
  FILE_KEY_BYTES,
  unwrapFileKey,
  wrapFileKey,
  type X25519Identity,
} from './x25519.js'

/** age's STREAM: the payload is cut into 64 KiB chunks, each sealed with a counter nonce. */
export const CHUNK_BYTES = 64 * 1024
const SEALED_CHUNK_BYTES = CHUNK_BYTES + TAG_BYTES
const PAYLOAD_NONCE_BYTES = 16
const OUTPUT_CHUNKS = 16
const EMPTY = Buffer.alloc(0)

/** The 12-byte STREAM nonce: an 11-byte big-endian chunk counter and a last-chunk flag. */
class ChunkNonce {
  readonly bytes = Buffer.alloc(12)
  count = 0
  next(): void {
    this.count += 1
    for (let i = 10; i >= 0; i--) {
      this.bytes[i] = ((this.bytes[i] as number) + 1) & 0xff
      if (this.bytes[i] !== 0) return
    }
    throw payloadError('too many chunks')
  }
  forChunk(last: boolean): Buffer {
    this.bytes[11] = last ? 1 : 0
    return this.bytes
  }
}

/**
 * Encrypts a byte stream to age v1 for X25519 recipients. The output is
 * streamed: header, payload nonce, then 64 KiB chunks; a chunk is sealed
 * only once the next byte (or the end) shows whether it is the last one.
 */
export class AgeEncryptStream extends Transform {
  private readonly key: Buffer
  private readonly nonce = new ChunkNonce()
  private readonly plain = Buffer.allocUnsafe(CHUNK_BYTES)
  private fill = 0
  // Sealed chunks are gathered into ~1 MiB buffers: one allocation per 16 chunks, not per chunk.
  private out = Buffer.allocUnsafe(OUTPUT_CHUNKS * SEALED_CHUNK_BYTES)
  private outFill = 0

  constructor(recipients: readonly Uint8Array[]) {
    super()
    if (recipients.length === 0) throw new Error('age needs at least one recipient')
    const fileKey = random(FILE_KEY_BYTES)
    const withoutMac = encodeHeaderWithoutMac(recipients.map((r) => wrapFileKey(r, fileKey)))
    const payloadNonce = random(PAYLOAD_NONCE_BYTES)
    this.key = hkdf(fileKey, payloadNonce, 'payload')
    this.push(encodeHeader(withoutMac, hmac(hkdf(fileKey, EMPTY, 'header'), withoutMac)))
    this.push(payloadNonce)
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let offset = 0
    while (offset < chunk.length) {
      if (this.fill === CHUNK_BYTES) this.seal(false) // more data follows: the full chunk is not the last
      const copied = chunk.copy(this.plain, this.fill, offset, offset + CHUNK_BYTES - this.fill)
      this.fill += copied
      offset += copied
    }
    done()
  }

  override _flush(done: TransformCallback): void {
    this.seal(true)
    this.push(this.out.subarray(0, this.outFill))
    done()
  }

  private seal(last: boolean): void {
    if (this.out.length - this.outFill < SEALED_CHUNK_BYTES) {
      this.push(this.out.subarray(0, this.outFill))
      this.out = Buffer.allocUnsafe(OUTPUT_CHUNKS * SEALED_CHUNK_BYTES)
      this.outFill = 0
    }
    const sealedLength = this.fill + TAG_BYTES
    sealInto(
      this.out.subarray(this.outFill, this.outFill + sealedLength),
      this.key,
      this.nonce.forChunk(last),
      this.plain.subarray(0, this.fill),
    )
    this.outFill += sealedLength
    this.nonce.next()
    this.fill = 0
  }
}

/** Find the file key in a parsed header with one of `identities`, and check the header's MAC. */
export function openHeader(header: Header, identities: readonly X25519Identity[]): Buffer {
  const x25519Stanzas = header.stanzas.filter((s) => s.type === 'X25519')
  for (const stanza of x25519Stanzas) checkX25519Stanza(stanza)
  let fileKey: Buffer | null = null
  search: for (const identity of identities) {
    for (const stanza of x25519Stanzas) {
      fileKey = unwrapFileKey(stanza, identity)
      if (fileKey) break search
    }
  }
  if (!fileKey) throw new AgeError('no match', 'age: the file was not encrypted to this key')
  if (!constantTimeEqual(hmac(hkdf(fileKey, EMPTY, 'header'), header.macInput), header.mac)) {
    throw new AgeError('hmac', 'age: the header MAC does not match (the header was altered)')
  }
  return fileKey
}

/**
 * Decrypts an age v1 stream with X25519 identities. Plaintext is released a
 * chunk at a time and only after that chunk authenticated; an error (wrong
 * key, altered or truncated data, trailing bytes) ends the stream, so a
 * consumer never sees unauthenticated bytes. Emits 'header' once the file
 * key was found.
 */
export class AgeDecryptStream extends Transform {
  private readonly queue = new ByteQueue()
  private state: 'header' | 'nonce' | 'payload' = 'header'
  private fileKey: Buffer | null = null
  private key: Buffer | null = null
  private readonly nonce = new ChunkNonce()

  constructor(private readonly identities: readonly X25519Identity[]) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.queue.push(chunk)
    try {
      this.advance(false)
      done()
    } catch (error) {
      done(error as Error)
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.advance(true)
      done()
    } catch (error) {
      done(error as Error)
    }
  }

  private advance(atEnd: boolean): void {
    if (this.state === 'header') {
      const header = parseHeader(this.queue.all())
      if (!header) {
        if (atEnd) throw headerError('the file ends inside the header')
        return
      }
      this.queue.skip(header.length)
      this.fileKey = openHeader(header, this.identities)
      this.state = 'nonce'
      this.emit('header')
    }
    if (this.state === 'nonce') {
      if (this.queue.length < PAYLOAD_NONCE_BYTES) {
        if (atEnd) throw headerError('the file ends before the payload nonce')
        return
      }
      this.key = hkdf(this.fileKey as Buffer, this.queue.take(PAYLOAD_NONCE_BYTES), 'payload')
      this.state = 'payload'
    }
    // A full-size chunk with more bytes after it cannot be the last one. Chunks are
    // opened in runs into one ~1 MiB buffer: one allocation per run, not per chunk.
    while (this.queue.length > SEALED_CHUNK_BYTES) {
      const count = Math.min(
        OUTPUT_CHUNKS,
        Math.floor((this.queue.length - 1) / SEALED_CHUNK_BYTES),
      )
      this.openRun(count, () => this.queue.take(SEALED_CHUNK_BYTES), false, count * CHUNK_BYTES)
    }
    if (atEnd) this.openLastChunk()
  }

  /**
   * Open `count` sealed chunks into one buffer and release it. If one fails,
   * the chunks before it (and it too, when it authenticated with the other
   * last-chunk flag: genuine data in the wrong place) are released first,
   * then the error; bytes that did not authenticate never are.
   */
  private openRun(count: number, next: () => Buffer, last: boolean, outputBytes: number): void {
    const out = Buffer.allocUnsafe(outputBytes)
    let released = 0
    try {
      for (let i = 0; i < count; i++) {
        const sealed = next()
        const plain = out.subarray(released, released + sealed.length - TAG_BYTES)
        const authentic = this.openChunk(sealed, last, plain)
        if (authentic !== 'ok') {
          released += plain.length
          throw payloadError(
            last
              ? 'the file is truncated (no final chunk)'
              : 'data continues after the final chunk',
          )
        }
        released += plain.length
      }
    } finally {
      if (released > 0 || outputBytes === 0) this.push(out.subarray(0, released))
    }
  }

  /** Open one chunk into `plain`: 'ok', 'other flag' (authentic, misplaced), or throws when it does not authenticate. */
  private openChunk(sealed: Buffer, last: boolean, plain: Buffer): 'ok' | 'other flag' {
    const key = this.key as Buffer
    if (openInto(plain, key, this.nonce.forChunk(last), sealed)) {
      this.nonce.next()
      return 'ok'
    }
    // A non-final chunk is always full-size; only then can the other flag be genuine.
    if (
      (sealed.length === SEALED_CHUNK_BYTES || !last) &&
      openInto(plain, key, this.nonce.forChunk(!last), sealed)
    ) {
      this.nonce.next()
      return 'other flag'
    }
    throw payloadError(`chunk ${this.nonce.count + 1} is damaged or was altered`)
  }

  private openLastChunk(): void {
    const rest = this.queue.take(this.queue.length)
    if (rest.length === 0) {
      throw payloadError(
        this.nonce.count === 0
          ? 'the file has no payload'
          : 'the file is truncated (no final chunk)',
      )
    }
    if (rest.length < TAG_BYTES) throw payloadError('the file is truncated inside a chunk')
    if (rest.length === TAG_BYTES && this.nonce.count > 0) {
      // Only an empty payload may end with an empty chunk.
      const empty = Buffer.alloc(0)
      if (openInto(empty, this.key as Buffer, this.nonce.forChunk(true), rest))
        throw payloadError('empty final chunk')
    }
    this.openRun(1, () => rest, true, rest.length - TAG_BYTES)
  }
}
