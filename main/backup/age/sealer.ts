import {
  CHUNK_BYTES,
  ChunkNonce,
  OUTPUT_CHUNKS,
  PAYLOAD_NONCE_BYTES,
  SEALED_CHUNK_BYTES,
} from './chunk-nonce.js'
import { encodeHeader, encodeHeaderWithoutMac } from './header.js'
import { hkdf, hmac, random, sealInto, TAG_BYTES } from './primitives.js'
import { FILE_KEY_BYTES, wrapFileKey } from './x25519.js'

/** Receives encrypted bytes; with `reuseOutput`, the buffer is only valid during the call. */
export type Emit = (bytes: Buffer) => void

/**
 * age v1 encryption to X25519 recipients, as a synchronous core: feed
 * plaintext with write(), finish with end(). A chunk is sealed only once the
 * next byte (or the end) shows whether it is the last one. With
 * `reuseOutput` the sealer writes every output into one buffer it keeps (for
 * a consumer that copies or writes it out at once: no garbage at all);
 * otherwise each output is a fresh buffer the consumer may keep.
 */
export class AgeSealer {
  /** The header and the payload nonce: the first bytes of the file. */
  readonly preamble: Buffer
  private readonly key: Buffer
  private readonly nonce = new ChunkNonce()
  private readonly plain = Buffer.allocUnsafe(CHUNK_BYTES)
  private fill = 0
  private out = Buffer.allocUnsafe(OUTPUT_CHUNKS * SEALED_CHUNK_BYTES)
  private outFill = 0

  constructor(
    recipients: readonly Uint8Array[],
    private readonly reuseOutput = false,
  ) {
    if (recipients.length === 0) throw new Error('age needs at least one recipient')
    const fileKey = random(FILE_KEY_BYTES)
    const withoutMac = encodeHeaderWithoutMac(recipients.map((r) => wrapFileKey(r, fileKey)))
    const payloadNonce = random(PAYLOAD_NONCE_BYTES)
    this.key = hkdf(fileKey, payloadNonce, 'payload')
    const header = encodeHeader(
      withoutMac,
      hmac(hkdf(fileKey, Buffer.alloc(0), 'header'), withoutMac),
    )
    this.preamble = Buffer.concat([header, payloadNonce])
  }

  write(data: Uint8Array, emit: Emit): void {
    let offset = 0
    while (offset < data.length) {
      if (this.fill === CHUNK_BYTES) this.seal(false, emit) // more data follows: not the last chunk
      const n = Math.min(data.length - offset, CHUNK_BYTES - this.fill)
      this.plain.set(data.subarray(offset, offset + n), this.fill)
      this.fill += n
      offset += n
    }
  }

  end(emit: Emit): void {
    this.seal(true, emit)
    this.flush(emit)
  }

  private seal(last: boolean, emit: Emit): void {
    if (this.out.length - this.outFill < SEALED_CHUNK_BYTES) this.flush(emit)
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

  private flush(emit: Emit): void {
    if (this.outFill === 0) return
    emit(this.out.subarray(0, this.outFill))
    if (!this.reuseOutput) this.out = Buffer.allocUnsafe(OUTPUT_CHUNKS * SEALED_CHUNK_BYTES)
    this.outFill = 0
  }
}
