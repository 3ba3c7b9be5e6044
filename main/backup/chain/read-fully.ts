import { readSync } from 'node:fs'

/**
 * Read `length` bytes of `fd` at `position` into the start of `into`, however
 * many reads it takes; fewer only where the file ends. Returns the bytes read.
 */
export function readFully(fd: number, into: Buffer, length: number, position: number): number {
  let done = 0
  while (done < length) {
    const read = readSync(fd, into, done, length - done, position + done)
    if (read === 0) break
    done += read
  }
  return done
}
