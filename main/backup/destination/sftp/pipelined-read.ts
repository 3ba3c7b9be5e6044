/**
 * Reading a remote file with several SFTP read requests in flight. ssh2's
 * read stream asks for one block at a time and waits for its answer, so a
 * restore runs at one block per round trip; here requests of the largest
 * size the session allows (request-size.ts) are out at once, up to
 * IN_FLIGHT bytes, and their answers are handed on in file order (as
 * OpenSSH's own sftp client and rclone do).
 */
import { Readable } from 'node:stream'
import type { SFTPWrapper } from 'ssh2'
import { requestSize } from './request-size.js'

/**
 * Under ssh2's 2 MiB channel window (answers beyond it would wait on the
 * server for a window adjust): eight 128 KiB requests on OpenSSH.
 */
const IN_FLIGHT = 1 << 20

type Handle = Buffer

/**
 * Sends one SFTP request and settles with its answer, typed like the
 * store's other calls; it fails when the connection is lost or the server
 * leaves it unanswered too long (answer-watch.ts), so a server that stops
 * answering mid-restore ends the restore instead of holding it.
 */
export type SessionCall = <T>(
  start: (cb: (error: Error | undefined | null, value: T) => void) => void,
) => Promise<T>

export function pipelinedRead(
  sftp: SFTPWrapper,
  path: string,
  start: number,
  /** Inclusive. */
  last: number,
  call: SessionCall,
  /** Turns other failures (a file shorter than said) into the destination's typed ones. */
  typed: (error: Error) => Error,
): Readable {
  const block = requestSize(sftp, 'read')
  const depth = Math.max(2, Math.floor(IN_FLIGHT / block))
  let handle: Handle | null = null
  let opening: Promise<Handle> | null = null
  let next = start
  let pumping = false
  const queue: Promise<Buffer>[] = []

  const open = () =>
    (opening ??= call<Handle>((cb) => sftp.open(path, 'r', cb)).then((h) => (handle = h)))

  /** Exactly `length` bytes at `position` (a short answer is followed up). */
  const readAt = async (position: number, length: number): Promise<Buffer> => {
    const h = await open()
    const buffer = Buffer.allocUnsafe(length)
    let filled = 0
    while (filled < length) {
      const got = await call<number>((cb) =>
        sftp.read(h, buffer, filled, length - filled, position + filled, (error, bytesRead) =>
          cb(error, bytesRead),
        ),
      )
      if (got === 0)
        throw new Error('the file ended before the expected size (it changed while being read)')
      filled += got
    }
    return buffer
  }

  const stream: Readable = new Readable({
    highWaterMark: 1 << 20,
    read() {
      if (pumping) return
      pumping = true
      void pump()
    },
    destroy(error, callback) {
      queue.length = 0
      const h = handle
      handle = null
      if (h) sftp.close(h, () => undefined)
      callback(error)
    },
  })

  async function pump(): Promise<void> {
    try {
      for (;;) {
        while (queue.length < depth && next <= last) {
          const length = Math.min(block, last - next + 1)
          const pending = readAt(next, length)
          pending.catch(() => undefined) // awaited in order below
          queue.push(pending)
          next += length
        }
        const head = queue.shift()
        if (!head) {
          stream.push(null)
          const h = handle
          handle = null
          if (h) sftp.close(h, () => undefined)
          return
        }
        const answer = await head
        if (stream.destroyed) return
        if (!stream.push(answer)) {
          pumping = false
          return
        }
      }
    } catch (error) {
      pumping = false
      if (!stream.destroyed)
        stream.destroy(typed(error instanceof Error ? error : new Error(String(error))))
    }
  }

  return stream
}
