/** The mailbox: folders, lists, search, one message, flags, and importing mail files. */
import { z } from 'zod'
import type { ImportProgress, ImportReport } from '../../mail/import/import-types.js'
import type { FolderView, MessageDetail, MessagePage, SearchHit } from '../../mail/types.js'
import { defineService, event, method, returns } from '../define.js'

const none = z.object({}).strict()
const id = z.number().int().positive()
const path = z.string().min(1).max(4096)

/**
 * A message as the reader shows it. Its HTML never travels to the renderer:
 * the host serves it, cleaned, as the mail frame's own document, under a
 * capability URL that is valid for this view only (see main/ipc/mail-views.ts).
 */
export interface MessageView extends Omit<MessageDetail, 'html'> {
  html: {
    /** The mail frame's address, remote content blocked. */
    frameUrl: string
    /** The same, with remote images and styles allowed ("Show images"). */
    frameUrlWithRemote: string
    /** Whether the HTML asks for remote content at all (the "Show images" banner). */
    hasRemoteContent: boolean
  } | null
}

export interface ImportFinished {
  jobId: string
  report: ImportReport | null
  error: { code: string; message: string } | null
}

export const mailService = defineService({
  methods: {
    overview: method({
      input: none,
      output: returns<{ messageCount: number }>(),
      handle: (ctx) => ctx.mail.overview(),
    }),
    folders: method({
      input: none,
      output: returns<FolderView[]>(),
      handle: (ctx) => ctx.mail.listFolders(),
    }),
    list: method({
      input: z
        .object({
          folderId: id,
          cursor: z.object({ date: z.number().int(), id }).strict().optional(),
          offset: z.number().int().min(0).max(10_000_000).optional(),
          limit: z.number().int().min(1).max(500),
        })
        .strict(),
      output: returns<MessagePage>(),
      handle: (ctx, { folderId, cursor, offset, limit }) =>
        ctx.mail.listMessages(folderId, { cursor, offset, limit }),
    }),
    search: method({
      input: z
        .object({ query: z.string().max(1000), limit: z.number().int().min(1).max(1000) })
        .strict(),
      output: returns<SearchHit[]>(),
      handle: (ctx, { query, limit }) => ctx.mail.search(query, limit),
    }),
    get: method({
      input: z.object({ id }).strict(),
      output: returns<MessageView>(),
      handle: async (ctx, { id }) => {
        // A synced message whose body the background pass has not fetched yet: fetch it now.
        await ctx.mailAccounts.sync.ensureBody(id)
        return ctx.mailViews.present(await ctx.mail.getMessage(id))
      },
    }),
    setSeen: method({
      input: z.object({ id, seen: z.boolean() }).strict(),
      output: returns<null>(),
      handle: (ctx, { id, seen }) => {
        // A synced message's flag goes to its server too (through the durable action queue).
        if (ctx.mailAccounts.sync.isRemote(id)) ctx.mailAccounts.sync.setFlags([id], { seen })
        else ctx.mail.setSeen(id, seen)
        return null
      },
    }),
    'import.start': method({
      input: z.object({ paths: z.array(path).min(1).max(1000) }).strict(),
      output: returns<{ jobId: string }>(),
      handle: (ctx, { paths }) => ctx.mail.startImport(paths),
    }),
    'import.cancel': method({
      input: z.object({ jobId: z.string().uuid() }).strict(),
      output: returns<null>(),
      handle: (ctx, { jobId }) => {
        ctx.mail.cancelImport(jobId)
        return null
      },
    }),
  },
  events: {
    'import.progress': event<ImportProgress & { jobId: string }>((ctx, emit) =>
      ctx.mail.events.on('importProgress', emit),
    ),
    'import.finished': event<ImportFinished>((ctx, emit) =>
      ctx.mail.events.on('importFinished', emit),
    ),
    changed: event<{ reason: 'import' | 'flags' | 'sync' }>((ctx, emit) => {
      const offMail = ctx.mail.events.on('changed', emit)
      const offSync = ctx.mailAccounts.sync.events.on('changed', () => emit({ reason: 'sync' }))
      return () => {
        offMail()
        offSync()
      }
    }),
  },
})
