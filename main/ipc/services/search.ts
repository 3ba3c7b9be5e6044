/** The one search box: mail and chat messages for one query, in one answer. */
import { z } from 'zod'
import type { EverythingHit } from '../../mail/read/search-everything.js'
import { defineService, method, returns } from '../define.js'

export const searchService = defineService({
  methods: {
    all: method({
      input: z
        .object({ query: z.string().max(1000), limit: z.number().int().min(1).max(1000) })
        .strict(),
      output: returns<EverythingHit[]>(),
      handle: (ctx, { query, limit }) => ctx.mail.read('searchEverything', { query, limit }),
    }),
  },
  events: {},
})
