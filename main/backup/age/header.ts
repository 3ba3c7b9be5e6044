import { decodeBase64, encodeBase64 } from './base64.js'
import { headerError } from './errors.js'

/** One recipient stanza: "-> type args…" and a base64 body. */
export interface Stanza {
  type: string
  args: string[]
  body: Buffer
}

export interface Header {
  stanzas: Stanza[]
  /** The header bytes the MAC covers: from the start up to and including "---". */
  macInput: Buffer
  mac: Buffer
  /** Bytes of the header, including the footer line's newline; the payload starts here. */
  length: number
}

export const VERSION_LINE = 'age-encryption.org/v1'
const INTRO = Buffer.from(`${VERSION_LINE}\n`)
const COLUMNS = 64
/** A real header is a few hundred bytes; a larger one is refused rather than buffered forever. */
const MAX_HEADER_BYTES = 1024 * 1024

/**
 * Parse an age v1 header from the start of `data`, strictly (C2SP age spec):
 * LF line endings, arguments of visible ASCII, canonical base64, 64-column
 * body lines ending in a shorter one, a 32-byte MAC. Returns null when
 * `data` ends before the header does (read more and call again).
 */
export function parseHeader(data: Buffer): Header | null {
  const introLength = Math.min(data.length, INTRO.length)
  if (!data.subarray(0, introLength).equals(INTRO.subarray(0, introLength))) {
    const firstLine =
      data.subarray(0, Math.min(data.length, 40)).toString('latin1').split('\n')[0] ?? ''
    throw headerError(
      firstLine.startsWith('age-encryption.org/')
        ? `unsupported version "${firstLine}"`
        : 'not an age file',
    )
  }
  let position = INTRO.length
  const stanzas: Stanza[] = []
  let current: { type: string; args: string[]; lines: string[] } | null = null

  for (;;) {
    const end = data.indexOf(10, position)
    if (end === -1) {
      if (data.length > MAX_HEADER_BYTES) throw headerError('header too large')
      return null
    }
    const line = data.toString('latin1', position, end)
    const lineStart = position
    position = end + 1

    if (current) {
      if (line.length > COLUMNS) throw headerError('stanza body line longer than 64 columns')
      current.lines.push(line)
      if (line.length < COLUMNS) {
        stanzas.push({
          type: current.type,
          args: current.args,
          body: decodeBase64(current.lines.join('')),
        })
        current = null
      }
      continue
    }
    if (line.startsWith('---')) {
      if (!line.startsWith('--- ')) throw headerError('malformed MAC line')
      const mac = decodeBase64(line.slice(4))
      if (mac.length !== 32) throw headerError('MAC has the wrong length')
      return { stanzas, macInput: data.subarray(0, lineStart + 3), mac, length: position }
    }
    if (!line.startsWith('-> ')) throw headerError('expected a stanza or the MAC line')
    const args = line.slice(3).split(' ')
    for (const arg of args) {
      if (arg.length === 0) throw headerError('empty stanza argument')
      for (let i = 0; i < arg.length; i++) {
        const code = arg.charCodeAt(i)
        if (code < 0x21 || code > 0x7e) throw headerError('invalid character in stanza argument')
      }
    }
    current = { type: args[0] as string, args: args.slice(1), lines: [] }
  }
}

/** The header up to and including "---", which the MAC is computed over. */
export function encodeHeaderWithoutMac(stanzas: Stanza[]): Buffer {
  let text = `${VERSION_LINE}\n`
  for (const stanza of stanzas) {
    text += `-> ${[stanza.type, ...stanza.args].join(' ')}\n`
    const body = encodeBase64(stanza.body)
    for (let i = 0; i <= body.length; i += COLUMNS) text += `${body.slice(i, i + COLUMNS)}\n`
  }
  return Buffer.from(`${text}---`, 'latin1')
}

export function encodeHeader(withoutMac: Buffer, mac: Uint8Array): Buffer {
  return Buffer.concat([withoutMac, Buffer.from(` ${encodeBase64(mac)}\n`, 'latin1')])
}
