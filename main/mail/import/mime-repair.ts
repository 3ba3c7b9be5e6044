/**
 * Repairs for real-world MIME that parsers read as nothing: found in
 * exported mail, each turns a message that would show an empty reader into
 * one whose text can be read. They work on a latin1 view of the bytes (one
 * byte per character, so the bytes come back unchanged where nothing is
 * repaired) and only on messages small enough to copy cheaply.
 */

/** Messages above this are parsed as they are (a copy of a huge attachment is not worth a repair). */
const MAX_REPAIR_BYTES = 32 * 1024 * 1024

const HEADER_FIELD = /^[\x21-\x39\x3b-\x7e]+:/

export interface MimeRepair {
  bytes: Buffer
  /** What was wrong, worded for the reader's "damaged message" note; empty when nothing was. */
  problems: string[]
}

export function repairMime(raw: Buffer): MimeRepair {
  if (raw.length > MAX_REPAIR_BYTES) return { bytes: raw, problems: [] }
  let text = raw.toString('latin1')
  const problems: string[] = []

  // 1. A header block that runs into the body without a blank line: the
  //    first line that is neither a field nor a continuation starts the body.
  const lines = text.split('\n')
  let offset = 0
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '')
    if (line === '') break
    if (i > 0 && /^[ \t]/.test(line)) {
      offset += (lines[i] as string).length + 1
      continue
    }
    if (!HEADER_FIELD.test(line)) {
      if (i === 0) break
      const eol = (lines[i - 1] as string).endsWith('\r') ? '\r\n' : '\n'
      text = `${text.slice(0, offset)}${eol}${text.slice(offset)}`
      problems.push('its headers ran into the text without a blank line')
      break
    }
    offset += (lines[i] as string).length + 1
  }

  // 2. A multipart message that names no boundary: take the one its body uses.
  const headerEnd = endOfHeaders(text)
  const head = text.slice(0, headerEnd)
  const contentType = /^content-type:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)/im.exec(head)
  if (
    contentType &&
    /^\s*multipart\//i.test(contentType[1] ?? '') &&
    !/boundary\s*=/i.test(contentType[1] ?? '')
  ) {
    const used = /^--([\x21-\x7e]{1,70}?)(?:--)?\r?$/m.exec(text.slice(headerEnd))
    if (used) {
      const start = contentType.index + contentType[0].length
      const boundary = (used[1] as string).replace(/"/g, '')
      text = `${text.slice(0, start)}; boundary="${boundary}"${text.slice(start)}`
      problems.push('it is a multipart message that does not say where its parts begin')
    }
  }

  // 3. "Content-Type: text" with no subtype is plain text (RFC 2045's default),
  //    not an attachment without a name.
  const bare = /^(content-type:[ \t]*)text([ \t]*(?:;|\r?$))/gim
  const plain = text.replace(bare, '$1text/plain$2')
  const changed = problems.length > 0 || plain !== text
  return { bytes: changed ? Buffer.from(plain, 'latin1') : raw, problems }
}

/** Index of the empty line that ends the headers (or the end of the text). */
function endOfHeaders(text: string): number {
  const match = /\r?\n\r?\n/.exec(text)
  return match ? match.index : text.length
}

/**
 * Whatever text a message holds that no parser could find: the body after
 * the headers, without MIME boundary lines and part headers. Used only when
 * parsing found neither text nor HTML nor attachments.
 */
export function recoverText(raw: Buffer): string {
  const text = raw.subarray(0, MAX_REPAIR_BYTES).toString('utf8')
  const body = text.slice(endOfHeaders(text)).replace(/^\r?\n/, '')
  const out: string[] = []
  let inPartHeaders = false
  for (const line of body.split(/\r?\n/)) {
    if (/^--[\x21-\x7e]{1,70}$/.test(line)) {
      inPartHeaders = true
      continue
    }
    if (inPartHeaders) {
      if (line === '') inPartHeaders = false
      else if (HEADER_FIELD.test(line) || /^[ \t]/.test(line)) continue
      else inPartHeaders = false
      if (line === '') continue
    }
    out.push(line)
  }
  return out.join('\n').trim()
}
