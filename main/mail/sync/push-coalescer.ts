/** Events closer together than this become one sync. */
const DEBOUNCE_MS = 50

/**
 * Push events (EXISTS, FETCH, EXPUNGE on an idling connection) turned into
 * syncs of the folder they came for: however many events come, at most one
 * sync runs and one more waits, and the waiting one covers every event that
 * came while the first ran. A server that floods thousands of EXISTS during
 * IDLE would otherwise queue a sync per debounce window behind the running
 * one, and keep the account syncing long after the flood. `run(everything)`
 * reports its own errors; `everything` is true when any event asked for a
 * sync of every folder.
 */
export function coalescedPushSync(
  run: (everything: boolean) => Promise<void>,
): (everything: boolean) => void {
  let timer: NodeJS.Timeout | null = null
  let running = false
  let wanted = false
  let everything = false
  const arm = () => {
    timer ??= setTimeout(start, DEBOUNCE_MS)
  }
  const start = () => {
    timer = null
    running = true
    wanted = false
    const all = everything
    everything = false
    run(all)
      .catch(() => undefined)
      .finally(() => {
        running = false
        if (wanted) arm()
      })
  }
  return (all) => {
    everything ||= all
    wanted = true
    if (!running) arm()
  }
}
