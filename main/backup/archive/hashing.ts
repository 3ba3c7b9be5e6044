import { createHash, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { Transform, type TransformCallback } from 'node:stream'

/** SHA-256 of a file, read in 1 MiB pieces. */
export async function hashFile(path: string, onBytes?: (n: number) => void): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer)
    onBytes?.((chunk as Buffer).length)
  }
  return hash.digest('hex')
}

/** Passes bytes through unchanged, counting them and hashing them on the way. */
export class HashingPassThrough extends Transform {
  private readonly hash: Hash = createHash('sha256')
  bytes = 0

  constructor(private readonly onBytes?: (n: number) => void) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk)
    this.bytes += chunk.length
    this.onBytes?.(chunk.length)
    done(null, chunk)
  }

  digest(): string {
    return this.hash.digest('hex')
  }
}
