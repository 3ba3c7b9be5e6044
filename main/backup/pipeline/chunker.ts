/**
 * Gathers a stream's pieces into buffers of about `size` bytes, each a
 * fresh ArrayBuffer that can be transferred to another thread without
 * copying again.
 */
export class Chunker {
  private buffer: Buffer
  private fill = 0

  constructor(private readonly size = 1 << 20) {
    this.buffer = Buffer.allocUnsafeSlow(size)
  }

  /** Add bytes; returns the buffers that filled up. */
  add(data: Uint8Array): Buffer[] {
    const full: Buffer[] = []
    let offset = 0
    while (offset < data.length) {
      const n = Math.min(data.length - offset, this.size - this.fill)
      this.buffer.set(data.subarray(offset, offset + n), this.fill)
      this.fill += n
      offset += n
      if (this.fill === this.size) full.push(this.take())
    }
    return full
  }

  /** What is left, or null if nothing. */
  rest(): Buffer | null {
    return this.fill > 0 ? this.take() : null
  }

  private take(): Buffer {
    const out = this.buffer.subarray(0, this.fill)
    this.buffer = Buffer.allocUnsafeSlow(this.size)
    this.fill = 0
    return out
  }
}
