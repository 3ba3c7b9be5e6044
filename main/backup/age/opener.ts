import { ByteQueue } from './byte-queue.js'
import {
  CHUNK_BYTES,
  ChunkNonce,
  OUTPUT_CHUNKS,
  PAYLOAD_NONCE_BYTES,
  SEALED_CHUNK_BYTES,
} from './chunk-nonce.js'
import { AgeError, headerError, payloadError } from './errors.js'
import { parseHeader, type Header } from './header.js'
import { constantTimeEqual, hkdf, hmac, openInto, TAG_BYTES } from './primitives.js'
import { checkX25519Stanza, unwrapFileKey, type X25519Identity } from './x25519.js'
import type { Emit } from './sealer.js'

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
  if (
    !constantTimeEqual(hmac(hkdf(fileKey, Buffer.alloc(0), 'header'), header.macInput), header.mac)
  ) {
    throw new AgeError('hmac', 'age: the header MAC does not match (the header was altered)')
  }
  return fileKey
}

/**
 * age v1 decryption with X25519 identities, as a synchronous core: feed the
 * file with write(), finish with end(). Plaintext is emitted a run of chunks
 * at a time, and only after each chunk authenticated; any failure (wrong
 * key, altered or truncated data, trailing bytes) throws an AgeError after
 * emitting what authenticated before it, so a consumer never sees a byte
 * that did not. Each emitted buffer is fresh (the consumer may keep it).
 */
export class AgeOpener {
  private readonly queue = new ByteQueue()
  private state: 'header' | 'nonce' | 'payload' = 'header'
  private fileKey: Buffer | null = null
  private key: Buffer | null = null
  private readonly nonce = new ChunkNonce()
  /** Set once the header authenticated with one of the identities. */
  headerOpened = false

  constructor(private readonly identities: readonly X25519Identity[]) {}

  write(data: Buffer, emit: Emit): void {
    this.queue.push(data)
    this.advance(false, emit)
  }

  end(emit: Emit): void {
    this.advance(true, emit)
  }

  private advance(atEnd: boolean, emit: Emit): void {
    if (this.state === 'header') {
      const header = parseHeader(this.queue.all())
      if (!header) {
        if (atEnd) throw headerError('the file ends inside the header')
        return
      }
      this.queue.skip(header.length)
      this.fileKey = openHeader(header, this.identities)
      this.headerOpened = true
      this.state = 'nonce'
    }
    if (this.state === 'nonce') {
      if (this.queue.length < PAYLOAD_NONCE_BYTES) {
        if (atEnd) throw headerError('the file ends before the payload nonce')
        return
      }
      this.key = hkdf(this.fileKey as Buffer, this.queue.take(PAYLOAD_NONCE_BYTES), 'payload')
      this.state = 'payload'
    }
    // A full-size chunk with more bytes after it cannot be the last one.
    while (this.queue.length > SEALED_CHUNK_BYTES) {
      const count = Math.min(
        OUTPUT_CHUNKS,
        Math.floor((this.queue.length - 1) / SEALED_CHUNK_BYTES),
      )
      this.openRun(
        count,
        () => this.queue.take(SEALED_CHUNK_BYTES),
        false,
        count * CHUNK_BYTES,
        emit,
      )
    }
    if (atEnd) this.openLastChunk(emit)
  }

  /**
   * Open `count` sealed chunks into one buffer and emit it. If one fails,
   * the chunks before it (and it too, when it authenticated with the other
   * last-chunk flag: genuine data in the wrong place) are emitted first,
   * then the error; bytes that did not authenticate never are.
   */
  private openRun(
    count: number,
    next: () => Buffer,
    last: boolean,
    outputBytes: number,
    emit: Emit,
  ): void {
    const out = Buffer.allocUnsafe(outputBytes)
    let released = 0
    try {
      for (let i = 0; i < count; i++) {
        const sealed = next()
        const plain = out.subarray(released, released + sealed.length - TAG_BYTES)
        const outcome = this.openChunk(sealed, last, plain)
        released += plain.length
        if (outcome === 'other flag') {
          throw payloadError(
            last
              ? 'the file is truncated (no final chunk)'
              : 'data continues after the final chunk',
          )
        }
      }
    } finally {
      if (released > 0) emit(out.subarray(0, released))
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

  private openLastChunk(emit: Emit): void {
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
      if (openInto(Buffer.alloc(0), this.key as Buffer, this.nonce.forChunk(true), rest)) {
        throw payloadError('empty final chunk')
      }
    }
    this.openRun(1, () => rest, true, rest.length - TAG_BYTES, emit)
  }
}
