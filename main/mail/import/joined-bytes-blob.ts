/**
 * postal-mime joins the decoded bytes of every part by putting its pieces
 * (one per line, and a '\n' string after each, for a plain part) into a
 * `new Blob(...)` and reading it back with `blob.arrayBuffer()`. Node's
 * Blob keeps each piece as a native blob of its own and reads them back
 * through a stream, a promise per piece: in a profile of the first full
 * sync that was a quarter of the body-prepare thread's time, more than the
 * MIME parse itself. postal-mime has no option for it and calls the global
 * `Blob`, so a thread that only parses mail (the body-prepare and import
 * parse workers) replaces that global with JoinedBytesBlob, which copies the
 * pieces once into one buffer. Never on the main thread: fetch and other
 * libraries there need the real Blob.
 */

type Piece = ArrayBufferLike | ArrayBufferView | string | JoinedBytesBlob

const encoder = new TextEncoder()
/** postal-mime gives a '\n' after every line of a plain part: encoded once. */
const NEWLINE = encoder.encode('\n')

/**
 * The part of Blob that postal-mime uses (construction, `size`, `type`,
 * `arrayBuffer()`), plus `text()` and `bytes()`; the pieces are joined as
 * Blob joins them (strings as UTF-8, views by their own bytes only).
 */
export class JoinedBytesBlob {
  readonly type: string
  readonly #bytes: Uint8Array

  constructor(pieces: Iterable<Piece> = [], options: { type?: string } = {}) {
    this.type = (options.type ?? '').toLowerCase()
    const parts: Uint8Array[] = []
    let length = 0
    for (const piece of pieces) {
      const bytes = asBytes(piece)
      parts.push(bytes)
      length += bytes.byteLength
    }
    this.#bytes = new Uint8Array(length)
    let at = 0
    for (const part of parts) {
      this.#bytes.set(part, at)
      at += part.byteLength
    }
  }

  get size(): number {
    return this.#bytes.byteLength
  }

  // Each read gets a copy of its own, as from a Blob (one copy of a part costs far less than a Blob).
  arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.resolve(this.#bytes.slice().buffer)
  }

  bytes(): Promise<Uint8Array> {
    return Promise.resolve(this.#bytes.slice())
  }

  text(): Promise<string> {
    return Promise.resolve(new TextDecoder().decode(this.#bytes))
  }

  /** For pieces that are themselves joined blobs. */
  static bytesOf(blob: JoinedBytesBlob): Uint8Array {
    return blob.#bytes
  }

  get [Symbol.toStringTag](): string {
    return 'Blob'
  }
}

function asBytes(piece: Piece): Uint8Array {
  if (typeof piece === 'string') return piece === '\n' ? NEWLINE : encoder.encode(piece)
  if (piece instanceof JoinedBytesBlob) return JoinedBytesBlob.bytesOf(piece)
  if (piece instanceof ArrayBuffer || piece instanceof SharedArrayBuffer)
    return new Uint8Array(piece)
  if (ArrayBuffer.isView(piece))
    return new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength)
  // Blob turns anything else into its string form.
  return encoder.encode(String(piece))
}

/**
 * Make postal-mime join parts with JoinedBytesBlob in this thread. Only for
 * worker threads that do nothing but parse mail (see above).
 */
export function joinPostalMimePartsDirectly(): void {
  globalThis.Blob = JoinedBytesBlob as unknown as typeof Blob
}
