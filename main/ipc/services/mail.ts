/** The mailbox: folders, lists, search, one message, flags, and importing mail files. */
import { z } from 'zod'
import type { ImportProgress, ImportReport } from '../../mail/import/import-types.js'
import type { ActionResult } from '../../mail/actions/message-actions.js'
import type { SearchPage } from '../../mail/search/search-messages.js'
import type {
  ContactSuggestion,
  FolderView,
  MessageDetail,
  MessagePage,
  MessageSource,
  SearchHit,
  ThreadEntry,
  ThreadPage,
} from '../../mail/types.js'
import { CairnError } from '../../shared/errors.js'
import { defineService, event, method, returns } from '../define.js'

const none = z.object({}).strict()
const id = z.number().int().positive()
const path = z.string().min(1).max(4096)
/** A selection: up to 10,000 messages at a time (select all in a large folder is done in pages). */
const ids = z.array(id).min(1).max(10_000)
const folderName = z.string().min(1).max(200)
const cursor = z.object({ date: z.number().int(), id }).strict().optional()

/** "View source" shows at most this much of a message (the rest is said to be cut). */
const SOURCE_MAX_BYTES = 4 * 1024 * 1024

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
  /** A plain-text message's frame (same typography as HTML mail, links made safe and clickable). */
  textFrameUrl: string | null
  /** Where each attachment downloads from (the browser build; the app saves or opens). */
  attachmentUrls: Record<number, string>
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
    searchPage: method({
      input: z
        .object({
          query: z.string().max(1000),
          limit: z.number().int().min(1).max(500),
          before: z.number().int().optional(),
        })
        .strict(),
      output: returns<SearchPage & { total: number }>(),
      handle: async (ctx, { query, limit, before }) => {
        const [page, total] = await Promise.all([
          ctx.mail.searchPage(query, limit, before),
          ctx.mail.searchCount(query),
        ])
        return { ...page, total }
      },
    }),
    sorted: method({
      input: z
        .object({
          folderId: id,
          by: z.enum(['sender', 'subject', 'size']),
          descending: z.boolean(),
          offset: z.number().int().min(0).max(10_000_000),
          limit: z.number().int().min(1).max(500),
        })
        .strict(),
      output: returns<MessagePage>(),
      handle: (ctx, { folderId, ...options }) => ctx.mail.listSorted(folderId, options),
    }),
    threads: method({
      input: z
        .object({
          folderId: id,
          cursor,
          offset: z.number().int().min(0).max(10_000_000).optional(),
          limit: z.number().int().min(1).max(500),
        })
        .strict(),
      output: returns<ThreadPage>(),
      handle: (ctx, { folderId, ...options }) => ctx.mail.listThreads(folderId, options),
    }),
    thread: method({
      input: z.object({ threadId: id }).strict(),
      output: returns<ThreadEntry[]>(),
      handle: (ctx, { threadId }) => ctx.mail.thread(threadId),
    }),
    contacts: method({
      input: z
        .object({ prefix: z.string().max(200), limit: z.number().int().min(1).max(50) })
        .strict(),
      output: returns<ContactSuggestion[]>(),
      handle: (ctx, { prefix, limit }) => ctx.mail.contacts(prefix, limit),
    }),
    source: method({
      input: z.object({ id }).strict(),
      output: returns<MessageSource>(),
      handle: (ctx, { id }) => ctx.mail.source(id, SOURCE_MAX_BYTES),
    }),
    setFlags: method({
      input: z
        .object({ ids, seen: z.boolean().optional(), flagged: z.boolean().optional() })
        .strict(),
      output: returns<ActionResult>(),
      handle: (ctx, { ids, seen, flagged }) =>
        ctx.mailDesk.actions.setFlags(ids, {
          ...(seen !== undefined ? { seen } : {}),
          ...(flagged !== undefined ? { flagged } : {}),
        }),
    }),
    move: method({
      input: z.object({ ids, folderId: id }).strict(),
      output: returns<ActionResult>(),
      handle: (ctx, { ids, folderId }) => ctx.mailDesk.actions.move(ids, folderId),
    }),
    delete: method({
      input: z.object({ ids }).strict(),
      output: returns<ActionResult>(),
      handle: (ctx, { ids }) => ctx.mailDesk.actions.delete(ids),
    }),
    archive: method({
      input: z.object({ ids }).strict(),
      output: returns<ActionResult>(),
      handle: (ctx, { ids }) => ctx.mailDesk.actions.archive(ids),
    }),
    junk: method({
      input: z.object({ ids, junk: z.boolean() }).strict(),
      output: returns<ActionResult>(),
      handle: (ctx, { ids, junk }) =>
        junk ? ctx.mailDesk.actions.junk(ids) : ctx.mailDesk.actions.notJunk(ids),
    }),
    undo: method({
      input: none,
      output: returns<ActionResult>(),
      handle: (ctx) => ctx.mailDesk.actions.undo(),
    }),
    'folder.create': method({
      input: z.object({ accountId: id, parentId: id.nullable(), name: folderName }).strict(),
      output: returns<{ folderId: number }>(),
      handle: async (ctx, { accountId, parentId, name }) => ({
        folderId: await ctx.mailDesk.folders.create(accountId, parentId, name),
      }),
    }),
    'folder.rename': method({
      input: z.object({ folderId: id, name: folderName }).strict(),
      output: returns<null>(),
      handle: async (ctx, { folderId, name }) => {
        await ctx.mailDesk.folders.rename(folderId, name)
        return null
      },
    }),
    'folder.moveInto': method({
      input: z.object({ folderId: id, parentId: id.nullable() }).strict(),
      output: returns<null>(),
      handle: async (ctx, { folderId, parentId }) => {
        await ctx.mailDesk.folders.moveInto(folderId, parentId)
        return null
      },
    }),
    'folder.delete': method({
      input: z.object({ folderId: id }).strict(),
      output: returns<null>(),
      handle: async (ctx, { folderId }) => {
        await ctx.mailDesk.folders.delete(folderId)
        return null
      },
    }),
    'attachment.save': method({
      input: z.object({ messageId: id, attachmentId: id }).strict(),
      output: returns<{ path: string } | null>(),
      handle: async (ctx, { messageId, attachmentId }) => {
        if (!ctx.host.pickFolder)
          throw new CairnError('ACTION_NOT_ALLOWED', 'This window downloads attachments instead.')
        const folder = await ctx.host.pickFolder('Save attachment')
        if (folder === null) return null
        return { path: ctx.mailDesk.saveAttachment(messageId, attachmentId, folder) }
      },
    }),
    'attachment.open': method({
      input: z.object({ messageId: id, attachmentId: id }).strict(),
      output: returns<null>(),
      handle: async (ctx, { messageId, attachmentId }) => {
        if (!ctx.host.openPath)
          throw new CairnError('ACTION_NOT_ALLOWED', 'This window downloads attachments instead.')
        await ctx.host.openPath(ctx.mailDesk.attachmentForOpening(messageId, attachmentId))
        return null
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
    changed: event<{ reason: 'import' | 'flags' | 'actions' | 'folders' | 'sync' }>((ctx, emit) => {
      const offMail = ctx.mail.events.on('changed', emit)
      const offSync = ctx.mailAccounts.sync.events.on('changed', () => emit({ reason: 'sync' }))
      return () => {
        offMail()
        offSync()
      }
    }),
  },
})
