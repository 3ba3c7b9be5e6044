/**
 * Work in this process that may have put attachment files in the store
 * whose rows are not written (or not committed) yet holds the sweep
 * (attachment-sweep.ts) off until it is done.
 *
 * The sweep's grace period (a file stored or taken up within the last 15
 * minutes stays) only protects a file whose row follows within that time.
 * Nothing bounds that: body sync stores a message's attachments as soon as
 * it arrives (in a worker thread) and writes its row once the whole batch
 * is in, which on a slow link or across a laptop's sleep takes as long as
 * it takes; an import writes its rows from a worker thread of its own, in
 * transactions this thread's connection cannot see until they commit. The
 * sweep runs on this thread, so a counter is enough.
 */
let holds = 0

/** Hold the sweep off until the returned function is called (once; later calls do nothing). */
export function holdAttachmentSweep(): () => void {
  holds++
  let released = false
  return () => {
    if (released) return
    released = true
    holds--
  }
}

/** True while some work holds the sweep off. */
export function attachmentSweepHeld(): boolean {
  return holds > 0
}

/** Run `work` with the sweep held off until it settles. */
export async function withAttachmentSweepHeld<T>(work: () => Promise<T>): Promise<T> {
  const release = holdAttachmentSweep()
  try {
    return await work()
  } finally {
    release()
  }
}
