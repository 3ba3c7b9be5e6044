/**
 * The app page showing only one draft's composer: `?compose=<draftId>`.
 * The desktop app loads it in a compose window (main/app/window.ts); the
 * renderer reads it at start (renderer/main.tsx). Shared so both sides
 * agree on the name and on what a draft id looks like.
 */
export const COMPOSE_QUERY = 'compose'

/** The query string for a draft's compose page. */
export function composeQuery(draftId: number): string {
  if (!Number.isSafeInteger(draftId) || draftId <= 0) throw new RangeError('not a draft id')
  return `?${COMPOSE_QUERY}=${draftId}`
}

/** The draft a page's query names, or null (the whole app): only a plain positive number counts. */
export function composeDraftIdOf(search: string): number | null {
  const value = new URLSearchParams(search).get(COMPOSE_QUERY)
  if (value === null || !/^[1-9][0-9]{0,15}$/.test(value)) return null
  const id = Number(value)
  return Number.isSafeInteger(id) ? id : null
}
