/** The one search box: mail and chat messages for one query, a page at a time, with a count. */
import { z } from 'zod'
import type { EverythingCount, EverythingPage } from '../../mail/read/search-everything.js'
import { defineService, method, returns } from '../define.js'

/** An id bound of the cursor: 0 (that kind has no more) up to the largest exact integer. */
const bound = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)

export type SearchAllAnswer = EverythingPage & {
  /** With the first page (no cursor) only: the renderer keeps it while it pages. */
  count: EverythingCount | null
}

export const searchService = defineService({
  methods: {
    all: method({
      input: z
        .object({
          query: z.string().max(1000),
          limit: z.number().int().min(1).max(500),
          // The last page's `next`, as it came: it only narrows the same query (see EverythingCursor).
          cursor: z.object({ mail: bound, chat: bound }).strict().optional(),
        })
        .strict(),
      output: returns<SearchAllAnswer>(),
      handle: async (ctx, { query, limit, cursor }) => {
        // The count runs beside the page, in the other read worker.
        const [page, count] = await Promise.all([
          ctx.mail.read('searchEverything', { query, limit, cursor }),
          cursor ? null : ctx.mail.read('countEverything', { query }),
        ])
        return { ...page, count }
      },
    }),
  },
  events: {},
})
