/**
 * Bech32 (BIP 173) as age uses it for recipients (age1…) and identities
 * (AGE-SECRET-KEY-1…), without BIP 173's 90-character limit.
 */
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]

function polymod(values: number[]): number {
  let chk = 1
  for (const value of values) {
    const top = chk >>> 25
    chk = ((chk & 0x1ffffff) << 5) ^ value
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i] as number
  }
  return chk
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = []
  for (const c of hrp) out.push(c.charCodeAt(0) >>> 5)
  out.push(0)
  for (const c of hrp) out.push(c.charCodeAt(0) & 31)
  return out
}

function convertBits(
  data: Uint8Array | number[],
  from: number,
  to: number,
  pad: boolean,
): number[] {
  let acc = 0
  let bits = 0
  const out: number[] = []
  const max = (1 << to) - 1
  for (const value of data) {
    acc = (acc << from) | value
    bits += from
    while (bits >= to) {
      bits -= to
      out.push((acc >>> bits) & max)
    }
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & max)
  } else if (bits >= from || ((acc << (to - bits)) & max) !== 0) {
    throw new Error('invalid padding')
  }
  return out
}

export function bech32Encode(hrp: string, data: Uint8Array, upper = false): string {
  const lower = hrp.toLowerCase()
  const words = convertBits(data, 8, 5, true)
  const mod = polymod([...hrpExpand(lower), ...words, 0, 0, 0, 0, 0, 0]) ^ 1
  const checksum = Array.from({ length: 6 }, (_, i) => (mod >>> (5 * (5 - i))) & 31)
  const text = `${lower}1${[...words, ...checksum].map((w) => CHARSET[w]).join('')}`
  return upper ? text.toUpperCase() : text
}

/** Decode; throws with a short reason for a wrong checksum, mixed case or bad characters. */
export function bech32Decode(text: string): { hrp: string; data: Uint8Array } {
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) throw new Error('mixed case')
  const lower = text.toLowerCase()
  const separator = lower.lastIndexOf('1')
  if (separator < 1 || separator + 7 > lower.length)
    throw new Error('missing separator or checksum')
  const hrp = lower.slice(0, separator)
  const words: number[] = []
  for (const c of lower.slice(separator + 1)) {
    const value = CHARSET.indexOf(c)
    if (value === -1) throw new Error(`invalid character "${c}"`)
    words.push(value)
  }
  if (polymod([...hrpExpand(hrp), ...words]) !== 1) throw new Error('checksum mismatch (a typo?)')
  return { hrp, data: Uint8Array.from(convertBits(words.slice(0, -6), 5, 8, false)) }
}
