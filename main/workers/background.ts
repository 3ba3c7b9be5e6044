import { setPriority } from 'node:os'
import { isMainThread } from 'node:worker_threads'

/** Nice value of a background thread: it still runs at full speed on an idle machine. */
const BACKGROUND_NICE = 10

/**
 * Mark the calling worker thread as background work (backup, restore:
 * hashing, compression, encryption), so that on a busy machine the thread
 * serving the window is scheduled first and the UI does not stutter.
 * Only on Linux, where the nice value belongs to each thread
 * (setpriority(2), "BUGS"): elsewhere the same call would lower the whole
 * app, so it is left alone. Best effort: a refusal changes nothing.
 */
export function runAsBackgroundThread(): void {
  if (isMainThread || process.platform !== 'linux') return
  try {
    setPriority(BACKGROUND_NICE)
  } catch {
    // Not allowed here (a sandbox): the thread simply keeps its priority.
  }
}
