/** Bytes received in pieces, taken out in the sizes a parser needs, without quadratic copying. */
export class ByteQueue {
  private parts: Buffer[] = []
  private head = 0 // bytes of parts[0] already taken
  length = 0

  push(part: Buffer): void {
    if (part.length === 0) return
    this.parts.push(part)
    this.length += part.length
  }

  /** The first `n` bytes without removing them (a copy only when they span parts). */
  peek(n: number): Buffer {
    const first = this.parts[0]
    if (first && first.length - this.head >= n) return first.subarray(this.head, this.head + n)
    const out = Buffer.allocUnsafe(Math.min(n, this.length))
    let copied = 0
    let index = 0
    let offset = this.head
    while (copied < out.length) {
      const part = this.parts[index] as Buffer
      copied += part.copy(out, copied, offset, Math.min(part.length, offset + out.length - copied))
      index += 1
      offset = 0
    }
    return out
  }

  /** Remove and return the first `n` bytes. */
  take(n: number): Buffer {
    const out = this.peek(n)
    this.skip(out.length)
    return out
  }

  skip(n: number): void {
    this.length -= n
    while (n > 0) {
      const first = this.parts[0] as Buffer
      const available = first.length - this.head
      if (n < available) {
        this.head += n
        return
      }
      n -= available
      this.parts.shift()
      this.head = 0
    }
  }

  /** Everything buffered, as one Buffer (for the small header). */
  all(): Buffer {
    return this.peek(this.length)
  }
}
