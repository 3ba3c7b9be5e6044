import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

/**
 * postal-mime decodes a base64 part in JavaScript: every line goes through
 * a TextDecoder, a regular expression and a string concatenation, and the
 * part is decoded a character at a time. In a profile of the first full
 * sync that was a sixth of the body-prepare thread, for the 10% of messages
 * with an attachment. This decodes the part with Node's native base64
 * decoder, a megabyte of lines at a time (a part of hundreds of MB is never
 * one string), to exactly the bytes postal-mime's decoder gives, so the
 * parse threads, which do nothing else, put it in place of postal-mime's
 * (`decodePostalMimeBase64Natively`).
 *
 * postal-mime's rules, kept here: every byte that is not a base64 letter or
 * '=' is dropped (line breaks, spaces, bytes of other encodings); a run of
 * '=' ends a unit, and each unit is decoded by itself (some mailers pad
 * every line); a unit whose length leaves one letter over drops that
 * letter (it cannot make a byte); two or three letters over make one or
 * two bytes.
 */
export class Base64Part {
  /**
   * Lines not decoded yet: views into the message postal-mime holds whole
   * and does not change while it parses, so they are kept as they are.
   */
  #lines: Uint8Array[] = []
  #held = 0
  /** The letters of the open unit past its last whole group of four. */
  #open = ''
  #decoded: Buffer[] = []

  push(line: Uint8Array): void {
    this.#lines.push(line)
    this.#held += line.byteLength
    if (this.#held >= CHUNK_BYTES) this.#drain(false)
  }

  /** The part's bytes; the part is empty again afterwards. */
  end(): Uint8Array {
    this.#drain(true)
    const decoded = this.#decoded
    this.#decoded = []
    return decoded.length === 1 ? (decoded[0] as Buffer) : Buffer.concat(decoded)
  }

  #drain(end: boolean): void {
    let text = Buffer.concat(this.#lines).toString('latin1')
    this.#lines = []
    this.#held = 0
    if (NOT_BASE64.test(text)) text = text.replace(/[^A-Za-z0-9+/=]+/g, '')
    text = this.#open + text
    this.#open = ''
    const units = text.includes('=') ? text.split(/=+/) : [text]
    const last = units.length - 1
    units.forEach((unit, i) => {
      // Groups of four decode alike whether or not more letters follow.
      const whole = i === last && !end ? unit.length - (unit.length % 4) : unit.length
      if (whole < unit.length) this.#open = unit.slice(whole)
      const length = whole % 4 === 1 ? whole - 1 : whole
      if (length > 0)
        this.#decoded.push(
          Buffer.from(length === unit.length ? unit : unit.slice(0, length), 'base64'),
        )
    })
  }
}

/** Lines gathered before they are decoded (a whole attachment of the benchmark's is one go). */
const CHUNK_BYTES = 1024 * 1024

/** Anything but the base64 letters and '=': the chunk needs the clean-up. */
const NOT_BASE64 = /[^A-Za-z0-9+/=]/

/** A whole part's lines decoded at once (see Base64Part). */
export function decodeBase64Part(lines: Iterable<Uint8Array>): Uint8Array {
  const part = new Base64Part()
  for (const line of lines) part.push(line)
  return part.end()
}

/** The two methods of postal-mime's Base64Decoder that its MIME nodes call. */
interface ContentDecoder {
  update(line: Uint8Array): void
  finalize(): Promise<ArrayBuffer>
}

const PART = Symbol('native base64 part')
type Native = ContentDecoder & { [PART]?: Base64Part }

/** The methods put on postal-mime's Base64Decoder. */
export const nativeBase64Methods: ContentDecoder = {
  update(this: Native, line: Uint8Array): void {
    ;(this[PART] ??= new Base64Part()).push(line)
  },
  finalize(this: Native): Promise<ArrayBuffer> {
    const bytes = (this[PART] ??= new Base64Part()).end()
    return Promise.resolve(ownArrayBuffer(bytes))
  },
}

/**
 * An ArrayBuffer holding exactly these bytes: small Buffers are views into
 * a shared pool (and Buffer's slice() is a view too, so the copy is made
 * with Uint8Array's constructor).
 */
function ownArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength)
    return bytes.buffer as ArrayBuffer
  return new Uint8Array(bytes).buffer
}

/**
 * postal-mime's own Base64Decoder class. postal-mime does not export it and
 * its package exports only its entry, so it is loaded by file, from beside
 * the entry that `import 'postal-mime'` loads: the same URL, so the same
 * module instance its MIME nodes use. Null when the package is laid out
 * otherwise (a new version): postal-mime then decodes as it always did.
 */
export async function postalMimeBase64Decoder(): Promise<{ prototype: object } | null> {
  try {
    const entry = createRequire(import.meta.url).resolve('postal-mime/package.json')
    const file = join(dirname(entry), 'dist', 'esm', 'base64-decoder.js')
    const loaded = (await import(pathToFileURL(file).href)) as { default?: unknown }
    const decoder = loaded.default
    if (typeof decoder !== 'function') return null
    const proto = (decoder as { prototype: Record<string, unknown> }).prototype
    const shaped = ['update', 'finalize', 'pushChunk'].every((m) => typeof proto[m] === 'function')
    return shaped ? (decoder as { prototype: object }) : null
  } catch {
    return null
  }
}

/**
 * Make postal-mime decode base64 parts with Node's decoder in this thread.
 * Only for threads that do nothing but parse mail (as joined-bytes-blob.ts).
 * Returns whether it could (false: postal-mime's own decoder stays, slower
 * but the same bytes).
 */
export async function decodePostalMimeBase64Natively(): Promise<boolean> {
  const decoder = await postalMimeBase64Decoder()
  if (!decoder) return false
  Object.assign(decoder.prototype, nativeBase64Methods)
  return true
}
