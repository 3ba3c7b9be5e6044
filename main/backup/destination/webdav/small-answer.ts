import type { Readable } from 'node:stream'

/**
 * What the answers Cairn reads whole but does not keep may hold: a login
 * check or the chunked-upload probe is a depth-0 multistatus of a few
 * hundred bytes, an error page a few KiB. A body past this is not one of
 * those, and is refused before it grows.
 */
export const SMALL_ANSWER_BYTES = 1 << 20

/** The longest such an exchange, head and body, may take: it ends in well under a second. */
export const SMALL_ANSWER_TIMEOUT_MS = 60_000

/**
 * `body` read to its end, or null as soon as it passes `limit` bytes (then
 * destroyed: the rest is never downloaded). A failure of the stream (the
 * connection, or a deadline that destroyed it) is thrown as it came.
 */
export async function readWhole(body: Readable, limit: number): Promise<Buffer | null> {
  const parts: Buffer[] = []
  let size = 0
  // Leaving the loop early destroys the body.
  for await (const part of body) {
    size += (part as Buffer).length
    if (size > limit) return null
    parts.push(part as Buffer)
  }
  return Buffer.concat(parts, size)
}

/**
 * Let go of the body of an answer whose status says it all (a PUT's 201,
 * a MOVE's 412, a DELETE's 204, an error page): read and dropped until it
 * ends, so its connection goes back to the pool, but only up to `limit`
 * bytes and `ms` milliseconds; past either the body is destroyed and its
 * connection with it. resume() alone, as before, kept a connection busy
 * for as long as a server sent (an endless body, a trickle): four such
 * answers took every connection of the pool and the next request waited
 * for ever. Never fails: the status was the answer.
 */
export function discardAnswer(body: Readable, limit: number, ms: number): void {
  let size = 0
  const timer = setTimeout(() => body.destroy(), ms)
  timer.unref()
  body.on('data', (part: Buffer) => {
    size += part.length
    if (size > limit) body.destroy()
  })
  body.on('error', () => undefined)
  body.once('close', () => clearTimeout(timer))
}
