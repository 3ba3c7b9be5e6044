/**
 * UTF-7 (RFC 2152), the charset some old clients (Outlook Express, early
 * Exchange) still label mail with. TextDecoder has no UTF-7, and postal-mime
 * falls back to windows-1252, so "ä" showed as "+AOQ-". Not the modified
 * UTF-7 of IMAP folder names (RFC 3501: '&' and ','), which imapflow decodes.
 */

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const VALUE = new Map([...BASE64].map((c, i) => [c, i]))

/** The labels of UTF-7 in Content-Type and encoded words (IANA: UTF-7, UNICODE-1-1-UTF-7, csUnicode11UTF7). */
export const UTF7_LABEL = /^(?:x-)?(?:utf-?7|unicode-1-1-utf-7|csunicode11utf7)$/i

/**
 * Decode UTF-7 text: between '+' and '-' (or the first character that is not
 * base64) is base64 of UTF-16BE; "+-" is '+'; everything else is itself.
 * Lenient like other mail readers: a '+' that starts no base64 stays a '+',
 * leftover bits are dropped, an unpaired surrogate becomes U+FFFD.
 */
export function decodeUtf7(text: string): string {
  let out = ''
  let i = 0
  while (i < text.length) {
    const plus = text.indexOf('+', i)
    if (plus === -1) return out + text.slice(i)
    out += text.slice(i, plus)
    i = plus + 1
    if (text[i] === '-') {
      out += '+'
      i++
      continue
    }
    const units: number[] = []
    let bits = 0
    let buffer = 0
    for (; i < text.length; i++) {
      const value = VALUE.get(text[i] as string)
      if (value === undefined) break
      // At most 15 bits wait in the buffer, so 21 after the shift: no overflow.
      buffer = ((buffer << 6) | value) & 0x1fffff
      bits += 6
      if (bits >= 16) {
        bits -= 16
        units.push((buffer >> bits) & 0xffff)
      }
    }
    // The '-' that ends a run is absorbed; any other character ending it is text.
    if (text[i] === '-') i++
    else if (units.length === 0 && bits === 0) out += '+'
    out += fromUtf16(units)
  }
  return out
}

function fromUtf16(units: number[]): string {
  let text = ''
  // In slices: String.fromCharCode with a whole body's units as arguments overflows the stack.
  for (let i = 0; i < units.length; i += 8192)
    text += String.fromCharCode(...units.slice(i, i + 8192))
  return text.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '\uFFFD',
  )
}
