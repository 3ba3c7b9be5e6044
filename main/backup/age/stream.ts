import { Transform, type TransformCallback } from 'node:stream'
import { dearmor, isArmored, MAX_ARMORED_BYTES } from './armor.js'
import { AgeError } from './errors.js'
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

/**
 * age decryption as a Node stream (see AgeOpener); an age failure ends it
 * with an AgeError. ASCII-armored files are recognised by their first line,
 * gathered (they are small by nature), decoded strictly, then decrypted.
 */
export class AgeDecryptStream extends Transform {
  private readonly opener: AgeOpener
  private readonly release = (bytes: Buffer) => void this.push(bytes)
  /** Undecided (undefined) until the first bytes show a binary (null) or an armored file. */
  private armored: Buffer[] | null | undefined = undefined
  private armoredBytes = 0
  private pending: Buffer[] = []

  constructor(identities: readonly X25519Identity[]) {
    super()
    this.opener = new AgeOpener(identities)
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      if (this.armored === undefined) {
        this.pending.push(chunk)
        const decided = isArmored(Buffer.concat(this.pending), false)
        if (decided === null) return done()
        this.armored = decided ? [] : null
        chunk = Buffer.concat(this.pending)
        this.pending = []
      }
      if (this.armored) {
        this.armoredBytes += chunk.length
        if (this.armoredBytes > MAX_ARMORED_BYTES)
          throw new AgeError('armor', 'age armor: the armored file is too large')
        this.armored.push(chunk)
      } else this.opener.write(chunk, this.release)
      done()
    } catch (error) {
      done(error as Error)
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (this.armored === undefined && this.pending.length > 0) {
        const start = Buffer.concat(this.pending)
        if (isArmored(start, true)) this.armored = [start]
        else this.opener.write(start, this.release)
      }
      if (this.armored) this.opener.write(dearmor(Buffer.concat(this.armored)), this.release)
      this.opener.end(this.release)
      done()
    } catch (error) {
      done(error as Error)
    }
  }
}
