import { Transform, type TransformCallback } from 'node:stream'

/**
 * A pass-through that holds bytes back so that, on average, no more than
 * `bytesPerSecond` leave it (a token bucket holding at most one second's
 * worth, so a pause is not followed by a burst). Backpressure does the
 * rest: the writer upstream waits while this waits.
 */
export class Throttle extends Transform {
  private tokens: number
  private last = performance.now()

  constructor(
    private readonly bytesPerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    super({ highWaterMark: Math.max(16 * 1024, Math.min(bytesPerSecond, 1 << 20)) })
    if (!(bytesPerSecond > 0)) throw new RangeError('bandwidth limit must be positive')
    this.tokens = Math.min(bytesPerSecond, 64 * 1024)
    this.last = this.now()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    void this.pass(chunk).then(() => done(), done)
  }

  private async pass(chunk: Buffer): Promise<void> {
    // Slices of at most a tenth of a second's worth keep the flow smooth.
    const slice = Math.max(1024, Math.floor(this.bytesPerSecond / 10))
    for (let offset = 0; offset < chunk.length; offset += slice) {
      const part = chunk.subarray(offset, offset + slice)
      this.refill()
      if (this.tokens < part.length) {
        const waitMs = ((part.length - this.tokens) / this.bytesPerSecond) * 1000
        await new Promise((resolve) => setTimeout(resolve, waitMs))
        this.refill()
      }
      this.tokens -= part.length
      this.push(part)
    }
  }

  private refill(): void {
    const now = this.now()
    this.tokens = Math.min(
      this.bytesPerSecond,
      this.tokens + ((now - this.last) / 1000) * this.bytesPerSecond,
    )
    this.last = now
  }
}
