import type { EverythingHit } from '../../main/mail/read/search-everything'
import { call } from '../api'
import { delay, useQuery, type Query } from '../use-query'

/** How many hits of each kind one search asks for. */
export const SEARCH_LIMIT = 500

/**
 * What the one search box finds for `query`: mail and chat messages in one
 * answer (search.all), newest first, fetched after a short pause in typing.
 * `version` changes when the mailbox changed, asking again.
 */
export function useEverything(query: string, version = 0): Query<EverythingHit[]> {
  const trimmed = query.trim()
  return useQuery(trimmed ? `everything:${version}:${trimmed}` : null, () =>
    delay(120).then(() => call('search.all', { query: trimmed, limit: SEARCH_LIMIT })),
  )
}
