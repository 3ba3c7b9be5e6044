import { payloadError } from './errors.js'
import { TAG_BYTES } from './primitives.js'

/** age's STREAM: the payload is cut into 64 KiB chunks, each sealed with a counter nonce. */
export const CHUNK_BYTES = 64 * 1024
export const SEALED_CHUNK_BYTES = CHUNK_BYTES + TAG_BYTES
export const PAYLOAD_NONCE_BYTES = 16
/** Chunks gathered per output buffer (~1 MiB): one allocation per 16 chunks, not per chunk. */
export const OUTPUT_CHUNKS = 16

/** The 12-byte STREAM nonce: an 11-byte big-endian chunk counter and a last-chunk flag. */
export class ChunkNonce {
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
