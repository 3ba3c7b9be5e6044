import { closeSync, constants, fstatSync, openSync, type Stats } from 'node:fs'

/** The code of the error thrown when a profile path is no longer a regular file. */
export const NOT_A_REGULAR_FILE = 'ENOTREGULAR'

/**
 * Open a profile file for reading, and only if it is (still) a regular
 * file: the type is checked on the open descriptor, never before the open.
 * A check by path first left a window in which a fifo swapped in made the
 * open itself wait for a writer, holding the backup (or its thread) for
 * ever; O_NONBLOCK makes that open return at once, O_NOFOLLOW refuses a
 * link (ELOOP) and O_NOCTTY keeps a terminal swapped in from becoming
 * ours. O_NONBLOCK changes nothing for reads of a regular file.
 */
export function openRegularFile(path: string): { fd: number; stats: Stats } {
  const fd = openSync(
    path,
    constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY,
  )
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile())
      throw Object.assign(new Error(`${path} is not a regular file`), {
        code: NOT_A_REGULAR_FILE,
      })
    return { fd, stats }
  } catch (error) {
    closeSync(fd)
    throw error
  }
}
