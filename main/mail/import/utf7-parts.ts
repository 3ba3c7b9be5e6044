import { decodeUtf7, UTF7_LABEL } from './utf7.js'

/**
 * Rewrite the UTF-7 in a message as UTF-8 before postal-mime reads it
 * (postal-mime decodes text with TextDecoder, which has no UTF-7): every text
 * part labelled UTF-7 becomes a base64 UTF-8 part, every UTF-7 encoded word
 * in a header a UTF-8 one. Works on a latin1 view of the bytes (one byte per
 * character), so a message without UTF-7 comes back as the same Buffer.
 */
export function transcodeUtf7(raw: Buffer): Buffer {
  if (raw.length > MAX_TRANSCODE_BYTES) return raw
  // UTF-7 text is 7-bit: nothing of it is lost by the latin1 view.
  const text = raw.toString('latin1')
  if (!MENTIONS_UTF7.test(text)) return raw
  const out = entity(text, 0)
  return out === text ? raw : Buffer.from(out, 'latin1')
}

/** Messages above this are parsed as they are (as for mime-repair.ts: a huge copy is not worth it). */
const MAX_TRANSCODE_BYTES = 32 * 1024 * 1024

const MENTIONS_UTF7 = /utf-?7/i

/** Parts nested deeper are left as they are: real mail nests a few levels, and each level rescans its body. */
const MAX_DEPTH = 20

/** One entity (a message or a part): its headers, then its body, transcoded where UTF-7. */
function entity(text: string, depth: number): string {
  if (depth > MAX_DEPTH) return text
  const lead = /^\r?\n/.exec(text)?.[0] ?? ''
  const rest = text.slice(lead.length)
  const blank = /\r?\n\r?\n/.exec(rest)
  // A part that starts with an empty line has no headers: plain US-ASCII text.
  if (/^\r?\n/.test(rest)) return text
  if (!blank) return lead + encodedWords(rest)
  const head = rest.slice(0, blank.index)
  const separator = blank[0]
  const body = rest.slice(blank.index + separator.length)
  const contentType = unfold(field(head, 'content-type') ?? '')
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase()
  const newHead = encodedWords(head)
  if (type.startsWith('multipart/')) {
    const boundary = /boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(contentType)
    const name = boundary?.[1] ?? boundary?.[2]
    return lead + newHead + separator + (name ? parts(body, name, depth) : body)
  }
  if (type === 'message/rfc822' && isIdentity(head))
    return lead + newHead + separator + entity(body, depth + 1)
  const charset = /(?:^|;)\s*charset\s*=\s*(?:"\s*([^"]*?)\s*"|([^\s;]+))/i.exec(contentType)
  const label = charset?.[1] ?? charset?.[2] ?? ''
  if (!type.startsWith('text/') || !UTF7_LABEL.test(label)) return lead + newHead + separator + body
  const trail = /\r?\n$/.exec(body)?.[0] ?? ''
  const decoded = decodeUtf7(transferDecoded(head, body.slice(0, body.length - trail.length)))
  const eol = separator.startsWith('\r') ? '\r\n' : '\n'
  const base64 = (
    Buffer.from(decoded, 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join(eol)
  return lead + utf8Head(newHead, eol) + separator + base64 + trail
}

/** The parts of a multipart body between its delimiter lines, each transcoded. */
function parts(body: string, boundary: string, depth: number): string {
  const delimiter = new RegExp(`^--${escapeRegExp(boundary)}(--)?[ \\t]*\\r?$`, 'gm')
  let out = ''
  let last = 0
  let inPart = false
  for (const match of body.matchAll(delimiter)) {
    const segment = body.slice(last, match.index)
    out += (inPart ? entity(segment, depth + 1) : segment) + match[0]
    last = match.index + match[0].length
    inPart = true
    if (match[1]) return out + body.slice(last)
  }
  const tail = body.slice(last)
  return out + (inPart ? entity(tail, depth + 1) : tail)
}

/** The body's bytes (as latin1 text) under its Content-Transfer-Encoding. */
function transferDecoded(head: string, body: string): string {
  const encoding = (field(head, 'content-transfer-encoding') ?? '').trim().toLowerCase()
  if (encoding === 'base64') return Buffer.from(body, 'base64').toString('latin1')
  if (encoding === 'quoted-printable')
    return body
      .replace(/=[ \t]*\r?\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
  return body
}

/** Whether the body is sent as it is (7bit, 8bit, binary), so a nested message can be read in place. */
function isIdentity(head: string): boolean {
  const encoding = (field(head, 'content-transfer-encoding') ?? '').trim().toLowerCase()
  return encoding === '' || encoding === '7bit' || encoding === '8bit' || encoding === 'binary'
}

/** The header block of a part that now holds base64 UTF-8. */
function utf8Head(head: string, eol: string): string {
  const relabelled = head.replace(/(^content-type:(?:.*)(?:\r?\n[ \t].*)*)/im, (value: string) =>
    value.replace(/(charset\s*=\s*)(?:"[^"]*"|[^\s;]+)/i, (_, name: string) => `${name}utf-8`),
  )
  const encoding = /^content-transfer-encoding:.*(?:\r?\n[ \t].*)*/im
  return encoding.test(relabelled)
    ? relabelled.replace(encoding, 'Content-Transfer-Encoding: base64')
    : `${relabelled}${eol}Content-Transfer-Encoding: base64`
}

/** UTF-7 encoded words (RFC 2047) rewritten as UTF-8 ones. */
function encodedWords(head: string): string {
  if (!MENTIONS_UTF7.test(head)) return head
  return head.replace(
    /=\?([^?*]+)(\*[^?]*)?\?([bq])\?([^?]*)\?=/gi,
    (word: string, charset: string, _language: string, encoding: string, encoded: string) => {
      if (!UTF7_LABEL.test(charset)) return word
      const bytes =
        encoding.toLowerCase() === 'b'
          ? Buffer.from(encoded, 'base64').toString('latin1')
          : encoded
              .replace(/_/g, ' ')
              .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) =>
                String.fromCharCode(parseInt(hex, 16)),
              )
      return `=?UTF-8?B?${Buffer.from(decodeUtf7(bytes), 'utf8').toString('base64')}?=`
    },
  )
}

/** The value of a header field (first occurrence), folding kept. */
function field(head: string, name: string): string | null {
  const match = new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r?\\n[ \\t].*)*)`, 'im').exec(head)
  return match ? (match[1] as string) : null
}

function unfold(value: string): string {
  return value.replace(/\r?\n[ \t]/g, ' ')
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
