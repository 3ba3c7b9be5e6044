import { PassThrough, type Readable } from 'node:stream'

/**
 * An object's body as the SDK hands it over, with its failures typed: a
 * socket that went idle mid-body (a server that stopped sending) surfaces
 * in the stream, not in send(), and reached the restore as the SDK's bare
 * TimeoutError, naming neither the destination nor what to do.
 */
export function typedBody(body: Readable, typed: (error: unknown) => Error): Readable {
  const out = new PassThrough({ highWaterMark: 1 << 20 })
  body.on('error', (error) => out.destroy(typed(error)))
  // Given up by its reader: stop downloading the rest.
  out.on('close', () => {
    if (!body.readableEnded) body.destroy()
  })
  body.pipe(out)
  return out
}
