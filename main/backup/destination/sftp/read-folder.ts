import { destinationError } from '../destination-errors.js'

/**
 * Most names and READDIR answers one listing reads. A Cairn folder holds a
 * few hundred files; OpenSSH answers about a hundred names a READDIR. ssh2's
 * readdir(path) asks again until the server says "end" and keeps every name
 * meanwhile: a broken or hostile server (the folder may be on anyone's
 * machine) that never says so kept a backup, restore or cleanup listing
 * for ever while its memory grew. One answer is at most one SFTP packet
 * (256 KiB in ssh2), so counting between answers bounds the memory.
 */
export const MAX_FOLDER_ENTRIES = 100_000
export const MAX_FOLDER_PAGES = 10_000

/** A folder listed in well under a second; one still coming after this is not going to end. */
export const FOLDER_LISTING_TIMEOUT_MS = 5 * 60_000

export interface FolderEntry {
  filename: string
  attrs: { mode: number; size: number; mtime: number }
}

/** The SFTP calls of one listing, each failing with the store's typed errors. */
export interface FolderCalls {
  opendir(): Promise<Buffer>
  /** The next names, or null once the server says the folder ends. */
  readdir(handle: Buffer): Promise<FolderEntry[] | null>
  close(handle: Buffer): Promise<void>
  /**
   * End the session the listing went over, after its time-out: the request
   * left unanswered must not stay waiting (nor hold back, on a server that
   * answers in order, everything sent after it).
   */
  abandon(): void
}

/**
 * Every name in the folder, READDIR by READDIR, failing with an error
 * naming the destination when the server has given more than a Cairn
 * folder holds or has not finished within `timeoutMs`.
 */
export async function readFolder(
  calls: FolderCalls,
  label: string,
  timeoutMs = FOLDER_LISTING_TIMEOUT_MS,
): Promise<FolderEntry[]> {
  const deadline = AbortSignal.timeout(timeoutMs)
  const timedOut = () =>
    destinationError(
      'DESTINATION_TIMEOUT',
      label,
      `the server's listing of the folder did not end within ${timeoutMs / 1000} s. Cairn stopped reading it. Check the network, or try again later.`,
    )
  let abandoned = false
  const abandonOnTimeout = (error: unknown): never => {
    if (deadline.aborted && !abandoned) {
      abandoned = true
      calls.abandon()
    }
    throw error
  }
  const handle = await beforeDeadline(calls.opendir(), deadline, timedOut).catch(abandonOnTimeout)
  const entries: FolderEntry[] = []
  try {
    for (let pages = 1; ; pages++) {
      const page = await beforeDeadline(calls.readdir(handle), deadline, timedOut)
      if (page === null) return entries
      for (const entry of page) entries.push(entry)
      if (entries.length > MAX_FOLDER_ENTRIES || pages >= MAX_FOLDER_PAGES)
        throw destinationError(
          'DESTINATION_SERVER',
          label,
          `the server's listing of the folder does not end: it still has more after ${pages.toLocaleString('en')} answers and ${entries.length.toLocaleString('en')} names, more than a Cairn folder holds. Cairn stopped reading it. Check that the path is a folder for backups only.`,
        )
    }
  } catch (error) {
    return abandonOnTimeout(error)
  } finally {
    // Not awaited: a server that never ends a listing may never answer this either.
    if (!abandoned) calls.close(handle).catch(() => undefined)
  }
}

/** `promise`, or `timedOut()` once `deadline` has passed (the call itself is left to the connection). */
function beforeDeadline<T>(
  promise: Promise<T>,
  deadline: AbortSignal,
  timedOut: () => Error,
): Promise<T> {
  if (deadline.aborted) return Promise.reject(timedOut())
  let stop!: () => void
  const expired = new Promise<never>((_, reject) => {
    stop = () => reject(timedOut())
    deadline.addEventListener('abort', stop, { once: true })
  })
  return Promise.race([promise, expired]).finally(() => deadline.removeEventListener('abort', stop))
}
