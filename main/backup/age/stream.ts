import { Transform, type TransformCallback } from 'node:stream'
import { AgeOpener } from './opener.js'
import { AgeSealer } from './sealer.js'
import type { X25519Identity } from './x25519.js'

export { CHUNK_BYTES } from './chunk-nonce.js'
export { openHeader } from './opener.js'

/** age encryption as a Node stream (see AgeSealer). */
export class AgeEncryptStream extends Transform {
  private readonly sealer: AgeSealer
  private readonly release = (bytes: Buffer) => void this.push(bytes)

  constructor(recipients: readonly Uint8Array[]) {
    super()
    this.sealer = new AgeSealer(recipients)
    this.push(this.sealer.preamble)
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.sealer.write(chunk, this.release)
    done()
  }

  override _flush(done: TransformCallback): void {
    this.sealer.end(this.release)
    done()
  }
}

/** age decryption as a Node stream (see AgeOpener); an age failure ends it with an AgeError. */
export class AgeDecryptStream extends Transform {
  private readonly opener: AgeOpener
  private readonly release = (bytes: Buffer) => void this.push(bytes)

  constructor(identities: readonly X25519Identity[]) {
    super()
    this.opener = new AgeOpener(identities)
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.opener.write(chunk, this.release)
      done()
    } catch (error) {
      done(error as Error)
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.opener.end(this.release)
      done()
    } catch (error) {
      done(error as Error)
    }
  }
}
