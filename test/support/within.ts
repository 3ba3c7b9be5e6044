/**
 * `promise`, or a failure naming what did not happen within `ms`: a step that hangs
 * says which one it was, rather than the test timing out as a whole.
 */
export function within<T>(promise: Promise<T>, what: string, ms = 30_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/** Wait until `check` holds, or fail naming `what` after `ms`. */
export async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  await within(
    (async () => {
      while (!check()) await new Promise((resolve) => setTimeout(resolve, 20))
    })(),
    what,
    ms,
  )
}
