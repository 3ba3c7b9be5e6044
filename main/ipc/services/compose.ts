/** Writing mail: drafts (saved as the user types), attachments, signatures, sending through the outbox. */
import { z } from 'zod'
import type { DraftView, Identity } from '../../mail/compose/compose-service.js'
import { CairnError } from '../../shared/errors.js'
import { defineService, event, method, returns } from '../define.js'

/** Bytes per upload chunk: UPLOAD_CHUNK_BYTES of mail/compose/uploads.ts (service modules import only zod). */
const UPLOAD_CHUNK_BYTES = 512 * 1024

const none = z.object({}).strict()
const id = z.number().int().positive()
/** Addresses as typed: checked for form when sending (compose.ts), only bounded here. */
const address = z.object({ name: z.string().max(300), address: z.string().max(320) }).strict()
const addresses = z.array(address).max(1000)
/** The editor's HTML, bounded (inline images travel inside it as data: URLs). */
const html = z.string().max(30 * 1024 * 1024)

export const composeService = defineService({
  methods: {
    identities: method({
      input: none,
      output: returns<Identity[]>(),
      handle: (ctx) => ctx.mailDesk.compose.identities(),
    }),
    setSignature: method({
      input: z.object({ accountId: id, html: z.string().max(100_000) }).strict(),
      output: returns<null>(),
      handle: (ctx, { accountId, html }) => {
        ctx.mailDesk.compose.setSignature(accountId, html)
        return null
      },
    }),
    start: method({
      input: z
        .object({
          kind: z.enum(['new', 'reply', 'replyAll', 'forward']),
          messageId: id.optional(),
          accountId: id.optional(),
          to: addresses.optional(),
        })
        .strict(),
      output: returns<DraftView>(),
      handle: (ctx, input) => ctx.mailDesk.compose.start(input),
    }),
    editDraft: method({
      input: z.object({ messageId: id }).strict(),
      output: returns<DraftView>(),
      handle: (ctx, { messageId }) => ctx.mailDesk.compose.editDraftMessage(messageId),
    }),
    get: method({
      input: z.object({ draftId: id }).strict(),
      output: returns<DraftView>(),
      handle: (ctx, { draftId }) => ctx.mailDesk.compose.get(draftId),
    }),
    list: method({
      input: none,
      output: returns<DraftView[]>(),
      handle: (ctx) => ctx.mailDesk.compose.list(),
    }),
    save: method({
      input: z
        .object({
          draftId: id,
          accountId: id.nullable().optional(),
          to: addresses.optional(),
          cc: addresses.optional(),
          bcc: addresses.optional(),
          subject: z.string().max(2000).optional(),
          html: html.optional(),
        })
        .strict(),
      output: returns<DraftView>(),
      handle: (ctx, { draftId, ...patch }) => ctx.mailDesk.compose.save(draftId, patch),
    }),
    'upload.begin': method({
      input: z
        .object({
          filename: z.string().min(1).max(1000),
          mimeType: z.string().max(200),
          size: z.number().int().min(0),
        })
        .strict(),
      output: returns<{ uploadId: string; chunkBytes: number }>(),
      handle: (ctx, file) => ({
        ...ctx.mailDesk.uploads.begin(file),
        chunkBytes: UPLOAD_CHUNK_BYTES,
      }),
    }),
    'upload.chunk': method({
      input: z
        .object({
          uploadId: z.string().max(64),
          offset: z.number().int().min(0),
          // base64 of at most one chunk
          data: z.string().max(Math.ceil(UPLOAD_CHUNK_BYTES / 3) * 4),
        })
        .strict(),
      output: returns<{ received: number }>(),
      handle: (ctx, { uploadId, offset, data }) => {
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data))
          throw new CairnError(
            'UPLOAD_INVALID',
            'A piece of the file arrived damaged; attach it again.',
          )
        return ctx.mailDesk.uploads.chunk(uploadId, offset, Buffer.from(data, 'base64'))
      },
    }),
    'upload.finish': method({
      input: z.object({ uploadId: z.string().max(64), draftId: id }).strict(),
      output: returns<DraftView>(),
      handle: (ctx, { uploadId, draftId }) =>
        ctx.mailDesk.compose.attach(draftId, ctx.mailDesk.uploads.finish(uploadId)),
    }),
    'upload.cancel': method({
      input: z.object({ uploadId: z.string().max(64) }).strict(),
      output: returns<null>(),
      handle: (ctx, { uploadId }) => {
        ctx.mailDesk.uploads.cancel(uploadId)
        return null
      },
    }),
    removeAttachment: method({
      input: z.object({ draftId: id, key: z.string().max(64) }).strict(),
      output: returns<DraftView>(),
      handle: (ctx, { draftId, key }) => ctx.mailDesk.compose.removeAttachment(draftId, key),
    }),
    send: method({
      input: z.object({ draftId: id }).strict(),
      output: returns<{ outboxId: number }>(),
      handle: (ctx, { draftId }) => ctx.mailDesk.compose.send(draftId),
    }),
    discard: method({
      input: z.object({ draftId: id }).strict(),
      output: returns<null>(),
      handle: async (ctx, { draftId }) => {
        await ctx.mailDesk.compose.discard(draftId)
        return null
      },
    }),
  },
  events: {
    draftSaved: event<{ draftId: number; uploadedAt: number | null; uploadError: string | null }>(
      (ctx, emit) => ctx.mailDesk.compose.events.on('draftSaved', emit),
    ),
  },
})
