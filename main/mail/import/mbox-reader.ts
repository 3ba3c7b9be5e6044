import { createReadStream } from 'node:fs'

export interface MboxEntry {
  /** 1-based position of the message in the file, for reports. */
  index: number
  /** Byte offset of the message's "From " line. */
  offset: number
  /** The "From " line (postmark), whose date is a fallback when the message has none. */
  postmark: string
  /** The message as it was before mbox escaping, or null when it was over the size limit. */
  raw: Buffer | null
  /** Size of the message in the file. */
  size: number
}

const FROM = Buffer.from('From ')
const ESCAPED_FROM = /^>+From /
/**
 * A line longer than this is taken in pieces rather than held until its
 * newline: a file with no newline (binary, or one huge line) would otherwise
 * grow one buffer to the size of the file, copied again at every read.
 */
const LINE_PIECE = 64 * 1024
/** The postmark is kept for its date; a "From " line longer than this is cut. */
const MAX_POSTMARK = 1024

/**
 * Read messages from an mbox file one at a time, with memory bounded by the
 * largest message. A message starts at a line beginning with "From " that
 * opens the file or follows an empty line (RFC 4155); the empty line before
 * it belongs to the mbox, not to the message. Lines escaped as ">From "
 * (mboxrd, and what Thunderbird writes) lose one ">". Messages larger than
 * `maxMessageBytes` are skipped (raw: null) without being held in memory.
 */
export async function* readMbox(
  file: string,
  options: { maxMessageBytes: number; onBytes?: (bytes: number) => void },
): AsyncGenerator<MboxEntry> {
  let index = 0
  let offset = 0 // byte offset of the next line
  let current: { offset: number; postmark: string; parts: Buffer[]; size: number } | null = null
  let previousLineEmpty = true
  let partial: Buffer | null = null
  // The start of the current line was consumed already (it is being taken in pieces).
  let lineOpen = false
  // ... and that start was a postmark, whose rest is not part of any message.
  let inPostmark = false

  const finish = (): MboxEntry | null => {
    if (!current) return null
    const { parts } = current
    // Drop the empty line that separates this message from the next "From ".
    const last = parts[parts.length - 1]
    let size = current.size
    if (last && isEmptyLine(last)) {
      parts.pop()
      size -= last.length
    }
    index += 1
    const tooLarge = size > options.maxMessageBytes
    const entry: MboxEntry = {
      index,
      offset: current.offset,
      postmark: current.postmark,
      raw: tooLarge ? null : Buffer.concat(parts, size),
      size,
    }
    current = null
    return entry
  }

  const stream = createReadStream(file, { highWaterMark: 1 << 20 })
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    options.onBytes?.(chunk.length)
    let data = chunk
    if (partial) {
      data = Buffer.concat([partial, chunk])
      partial = null
    }
    let start = 0
    for (;;) {
      const newline = data.indexOf(10, start)
      if (newline === -1) break
      const line = data.subarray(start, newline + 1)
      const done = consume(line, true)
      if (done) yield done
      start = newline + 1
    }
    if (data.length - start >= LINE_PIECE) {
      const done = consume(data.subarray(start), false)
      if (done) yield done
    } else if (start < data.length) partial = Buffer.from(data.subarray(start))
  }
  if (partial) {
    const done = consume(partial, true)
    if (done) yield done
  }
  const last = finish()
  if (last) yield last

  /** A whole line, or a piece of a long one (`endsLine` false for all but its last piece). */
  function consume(line: Buffer, endsLine: boolean): MboxEntry | null {
    const lineOffset = offset
    offset += line.length
    const continued = lineOpen
    lineOpen = !endsLine
    let finished: MboxEntry | null = null
    if (continued) {
      // The rest of a long line: neither a "From " line nor an empty one.
      if (inPostmark) {
        inPostmark = lineOpen
        return null
      }
    } else if (previousLineEmpty && startsWith(line, FROM)) {
      finished = finish()
      current = {
        offset: lineOffset,
        postmark: line.toString('latin1', 0, Math.min(line.length, MAX_POSTMARK)).trimEnd(),
        parts: [],
        size: 0,
      }
      previousLineEmpty = false
      inPostmark = lineOpen
      return finished
    } else {
      previousLineEmpty = isEmptyLine(line)
    }
    if (!current) {
      // Text before the first "From " line: not an mbox, the caller checked the first line.
      return null
    }
    if (current.size <= options.maxMessageBytes) {
      const unescaped =
        !continued && line[0] === 0x3e && ESCAPED_FROM.test(line.toString('latin1', 0, 64))
      current.parts.push(unescaped ? line.subarray(1) : line)
      current.size += unescaped ? line.length - 1 : line.length
    } else {
      // Past the limit: keep counting, stop holding bytes.
      current.parts.length = 0
      current.size += line.length
    }
    return finished
  }
}

function startsWith(line: Buffer, prefix: Buffer): boolean {
  return (
    line.length >= prefix.length && line.compare(prefix, 0, prefix.length, 0, prefix.length) === 0
  )
}

function isEmptyLine(line: Buffer): boolean {
  return (
    (line.length === 1 && line[0] === 10) || (line.length === 2 && line[0] === 13 && line[1] === 10)
  )
}
