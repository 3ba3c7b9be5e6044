import { AgeError } from './errors.js'

const BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----'
const END = '-----END AGE ENCRYPTED FILE-----'
const COLUMNS = 64
/** Armored age files are for text-sized payloads; a larger one is refused rather than held in memory. */
export const MAX_ARMORED_BYTES = 64 * 1024 * 1024

const armorError = (message: string) => new AgeError('armor', `age armor: ${message}`)

const BINARY_INTRO = 'age-encryption.org/'

/**
 * Whether a file is to be read as armored: anything that does not start
 * like a binary age file is (as the reference implementation does), so text
 * that is almost armor gets an armor error, not a header error. Null until
 * enough bytes were seen to tell.
 */
export function isArmored(start: Buffer, complete: boolean): boolean | null {
  const text = start.toString('latin1', 0, Math.min(start.length, 64))
  if (text.length === 0) return complete ? false : null
  const seen = text.slice(0, BINARY_INTRO.length)
  if (BINARY_INTRO.startsWith(seen))
    return seen.length === BINARY_INTRO.length || complete ? false : null
  return true
}

/**
 * Decode age's ASCII armor (C2SP age spec, a strict RFC 7468 subset):
 * whitespace only around the whole file, the exact BEGIN and END lines, no
 * headers, LF or CRLF line endings, padded canonical base64 in lines of 64
 * columns with a shorter (non-empty) last line.
 */
export function dearmor(file: Buffer): Buffer {
  const text = file.toString('latin1').replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '')
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
  if (lines[0] !== BEGIN) {
    throw armorError(
      text.includes('BEGIN')
        ? 'it does not begin with the age armor line'
        : 'this is not an age file (neither binary nor armored)',
    )
  }
  if (lines[lines.length - 1] !== END) throw armorError('it does not end with the age armor line')
  const body = lines.slice(1, -1)
  for (const [index, line] of body.entries()) {
    const last = index === body.length - 1
    if (line.length === 0 || line.length > COLUMNS || (!last && line.length !== COLUMNS)) {
      throw armorError(`line ${index + 2} has ${line.length} columns`)
    }
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(line) || (!last && line.includes('=')))
      throw armorError(`line ${index + 2} is not base64`)
  }
  const encoded = body.join('')
  if (encoded.length % 4 !== 0) throw armorError('the base64 is not padded')
  const decoded = Buffer.from(encoded, 'base64')
  if (decoded.toString('base64') !== encoded) throw armorError('the base64 is not canonical')
  return decoded
}
