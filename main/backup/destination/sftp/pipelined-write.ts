/**
 * Writing a remote file with several SFTP write requests in flight. One
 * write at a time (answer awaited before the next is sent) bounds an upload
 * by the round trip and by the server's fsync-free but still serial
 * handling; OpenSSH's sftp client and rclone keep many requests out at
 * once. Here a chunk is cut into requests of `block` bytes (the largest
 * the session allows, request-size.ts) at their file offsets, and the
 * writable asks for more as long as fewer than WRITE_WINDOW bytes are
 * unanswered: memory stays bounded, the link stays busy.
 */
import { Writable } from 'node:stream'

export const WRITE_WINDOW = 4 << 20

export interface PipelinedWriteOptions {
  /** Bytes per write request. */
  block: number
  /** Send `data` to be written at `position`; settles with the server's answer. */
  writeAt(position: number, data: Buffer): Promise<void>
  /** After every write was answered: flush and close the remote file. */
  finish(): Promise<void>
  /** The stream was destroyed (an error, an abort): release the remote file. */
  release(): void
  /** A typed error for a failed write (may ask the server why, e.g. a full disk). */
  explain(error: unknown): Promise<Error>
  /** Checked before each chunk: a connection already lost fails at once. */
  check?: () => Error | null
}

export function pipelinedWrite(options: PipelinedWriteOptions): Writable {
  let position = 0
  let unanswered = 0
  let failure: Error | null = null
  let explaining: Promise<Error> | null = null
  /** A write() or final() waiting for room (or for the last answer). */
  let waiter: (() => void) | null = null
  const wake = () => {
    const w = waiter
    waiter = null
    w?.()
  }
  const fail = (error: unknown) => {
    explaining ??= options.explain(error).then((typed) => (failure ??= typed))
    void explaining.then(wake)
  }
  const settled = async (): Promise<Error | null> => {
    if (explaining) return explaining
    return failure
  }

  return new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _encoding, done) {
      const lost = options.check?.() ?? null
      if (lost) {
        done(lost)
        return
      }
      if (failure || explaining) {
        void settled().then((error) => done(error ?? undefined))
        return
      }
      for (let offset = 0; offset < chunk.length; offset += options.block) {
        const piece = chunk.subarray(offset, Math.min(offset + options.block, chunk.length))
        const at = position
        position += piece.length
        unanswered += piece.length
        options.writeAt(at, piece).then(
          () => {
            unanswered -= piece.length
            wake()
          },
          (error: unknown) => {
            unanswered -= piece.length
            fail(error)
          },
        )
      }
      const proceed = () => {
        if (explaining) void settled().then((error) => done(error ?? undefined))
        else if (unanswered < WRITE_WINDOW) done()
        else waiter = proceed
      }
      proceed()
    },
    final(done) {
      const drain = () => {
        if (explaining) void settled().then((error) => done(error ?? undefined))
        else if (unanswered > 0) waiter = drain
        else options.finish().then(() => done(), done)
      }
      drain()
    },
    destroy(error, done) {
      options.release()
      done(error)
    },
  })
}
