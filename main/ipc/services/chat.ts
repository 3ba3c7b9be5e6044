/**
 * Chat (XMPP) for the chat view: accounts and their connection, contacts
 * with presence and subscription requests, conversations (read in the read
 * workers, long bodies cut), sending text and files, typing, read markers,
 * scroll-back from the server archive, group chats, notifications.
 *
 * The renderer never names a path on disk: files to send are chosen in the
 * host's picker or handed over in chunks, and named by a random id
 * (main/ipc/chat-files.ts); downloaded files are shown under a random
 * address served by the UI request handler, never from the remote URL.
 */
import { z } from 'zod'
import type { ChatEvents } from '../../chat/chat-service.js'
import type { ChatListItem, ChatPageMessage } from '../../chat/store/views.js'
import type {
  ChatAttachmentView,
  ChatContact,
  ChatSummary,
  ConnectionState,
  PresenceView,
} from '../../chat/types.js'
import type { ServiceContext } from '../context.js'
import { defineService, event, method, returns } from '../define.js'

const id = z.number().int().positive()
const jid = z.string().trim().min(3).max(3071)
const none = z.object({}).strict()
/** The longest message the composer sends; longer text goes as a file (servers refuse huge stanzas). */
export const MAX_MESSAGE_CHARS = 256_000
/** Characters of a long body fetched per "show more". */
const TEXT_SLICE_MAX = 1_000_000

export interface ChatAccountView {
  id: number
  jid: string
  name: string
  /** HOST:PORT given by hand, or null when found through DNS. */
  server: string | null
  /** The certificate the user chose to trust by its fingerprint, if any. */
  trustedFingerprint: string | null
  connection: ConnectionState
}

/** A certificate nobody vouches for, shown to the user before they may trust it. */
export interface UntrustedCertificate {
  /** The server name it was presented for. */
  host: string
  fingerprint: string
  subject: string
  issuer: string
  /** Why no trusted authority vouches for it (expired, self-signed, another name…). */
  reason: string
}

export type AccountAnswer =
  | { status: 'ok'; account: ChatAccountView }
  | { status: 'untrusted'; certificate: UntrustedCertificate }

export interface ChatAttachmentItem extends Omit<ChatAttachmentView, 'url'> {
  /** Where the file was shared from (the host of its URL), for the user to see. */
  host: string
  /** The downloaded copy, served by the app itself; null until downloaded. */
  viewUrl: string | null
  /** Shown as an image (a picture type by name; the server checks the bytes before serving it). */
  image: boolean
}

export interface ChatMessageItem extends Omit<ChatPageMessage, 'attachments'> {
  attachments: ChatAttachmentItem[]
}

export interface ContactView extends ChatContact {
  show: PresenceView['show']
  status: string
}

export type ChatNoticeView = { shown: boolean; chatId: number; title: string; body: string } | null

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp'])

function accountView(
  account: {
    id: number
    jid: string
    name: string
    config: { host?: string; port?: number; trustedFingerprint?: string }
  },
  connection: ConnectionState,
): ChatAccountView {
  const { host, port, trustedFingerprint } = account.config
  return {
    id: account.id,
    jid: account.jid,
    name: account.name,
    server: host ? `${host}:${port ?? 5222}` : null,
    trustedFingerprint: trustedFingerprint ?? null,
    connection,
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return ''
  }
}

/** An account added or changed, or the certificate question its server raised (not an error). */
async function answerAccount(
  ctx: ServiceContext,
  work: () => Promise<Parameters<typeof accountView>[0]>,
): Promise<AccountAnswer> {
  try {
    const account = await work()
    return { status: 'ok', account: accountView(account, ctx.chat.connectionState(account.id)) }
  } catch (error) {
    const certificate = untrusted(error)
    if (certificate) return { status: 'untrusted', certificate }
    throw error
  }
}

/** An error thrown for a certificate nobody vouches for carries these (UntrustedCertificateError). */
function untrusted(error: unknown): UntrustedCertificate | null {
  if (typeof error !== 'object' || error === null) return null
  const e = error as Record<string, unknown>
  if (e.code !== 'CHAT_TLS_UNTRUSTED' || typeof e.fingerprint !== 'string') return null
  const text = (key: string) => (typeof e[key] === 'string' ? (e[key] as string) : '')
  return {
    host: text('host'),
    fingerprint: e.fingerprint,
    subject: text('subject'),
    issuer: text('issuer'),
    reason: text('reason'),
  }
}

/** Forward one chat event unchanged (each already carries its account). */
function forward<E extends keyof ChatEvents & string>(name: E) {
  return event<ChatEvents[E]>((ctx, emit) => ctx.chat.events.on(name, emit))
}

export const chatService = defineService({
  methods: {
    accounts: method({
      input: none,
      output: returns<ChatAccountView[]>(),
      handle: (ctx) =>
        ctx.chat.accounts().map((a) => accountView(a, ctx.chat.connectionState(a.id))),
    }),
    'account.add': method({
      input: z
        .object({
          jid,
          password: z.string().min(1).max(1024),
          /** HOST or HOST:PORT; absent: the JID's domain's DNS records. */
          server: z.string().trim().max(300).optional(),
          /** The fingerprint the user saw and chose to trust (after an 'untrusted' answer). */
          trustFingerprint: z.string().max(200).optional(),
        })
        .strict(),
      output: returns<AccountAnswer>(),
      handle: (ctx, input) =>
        answerAccount(ctx, async () => {
          const account = await ctx.chat.addAccount({
            jid: input.jid,
            password: input.password,
            server: input.server || undefined,
            trustedFingerprint: input.trustFingerprint,
          })
          // The app keeps the new account connected (the command line only checks it).
          ctx.chat.connect(account.id)
          return account
        }),
    }),
    'account.update': method({
      input: z
        .object({
          accountId: id,
          password: z.string().min(1).max(1024).optional(),
          trustFingerprint: z.string().max(200).optional(),
        })
        .strict(),
      output: returns<AccountAnswer>(),
      handle: (ctx, input) =>
        answerAccount(ctx, () =>
          ctx.chat.updateAccount(input.accountId, {
            password: input.password,
            trustedFingerprint: input.trustFingerprint,
          }),
        ),
    }),
    'account.remove': method({
      input: z.object({ accountId: id }).strict(),
      output: returns<null>(),
      handle: async (ctx, { accountId }) => {
        await ctx.chat.removeAccount(accountId)
        return null
      },
    }),
    'account.reconnect': method({
      input: z.object({ accountId: id }).strict(),
      output: returns<null>(),
      handle: async (ctx, { accountId }) => {
        await ctx.chat.reconnect(accountId)
        return null
      },
    }),
    chats: method({
      input: none,
      output: returns<ChatListItem[]>(),
      handle: (ctx) => ctx.mail.read('chatList', {}),
    }),
    contacts: method({
      input: z.object({ accountId: id }).strict(),
      output: returns<ContactView[]>(),
      handle: async (ctx, { accountId }) => {
        const contacts = await ctx.mail.read('chatContacts', { accountId })
        const presence = ctx.chat.presenceMany(
          accountId,
          contacts.map((c) => c.jid),
        )
        return contacts.map((c, i) => ({
          ...c,
          show: presence[i]?.show ?? 'offline',
          status: presence[i]?.status ?? '',
        }))
      },
    }),
    presence: method({
      input: z.object({ accountId: id, jids: z.array(z.string().max(3071)).max(5000) }).strict(),
      output: returns<PresenceView[]>(),
      handle: (ctx, { accountId, jids }) => ctx.chat.presenceMany(accountId, jids),
    }),
    open: method({
      input: z.object({ accountId: id, jid }).strict(),
      output: returns<ChatSummary>(),
      handle: (ctx, { accountId, jid }) => ctx.chat.openChat(accountId, jid),
    }),
    history: method({
      input: z
        .object({ chatId: id, limit: z.number().int().min(1).max(200), beforeId: id.optional() })
        .strict(),
      output: returns<ChatMessageItem[]>(),
      handle: async (ctx, { chatId, limit, beforeId }) => {
        ctx.chat.chat(chatId) // NOT_FOUND for a chat that is gone
        const page = await ctx.mail.read('chatPage', { chatId, limit, beforeId })
        return page.map((message) => ({
          ...message,
          attachments: message.attachments.map(({ url, ...attachment }) => ({
            ...attachment,
            host: hostOf(url),
            viewUrl: attachment.state === 'stored' ? ctx.chatFiles.viewUrl(attachment.id) : null,
            image: IMAGE_TYPES.has(attachment.mimeType),
          })),
        }))
      },
    }),
    text: method({
      input: z
        .object({
          messageId: id,
          offset: z.number().int().min(0),
          length: z.number().int().min(1).max(TEXT_SLICE_MAX),
        })
        .strict(),
      output: returns<{ text: string; total: number } | null>(),
      handle: (ctx, input) => ctx.mail.read('chatText', input),
    }),
    send: method({
      input: z.object({ chatId: id, text: z.string().min(1).max(MAX_MESSAGE_CHARS) }).strict(),
      output: returns<{ messageId: number; chatId: number }>(),
      handle: (ctx, { chatId, text }) => ctx.chat.sendToChat(chatId, text),
    }),
    markRead: method({
      input: z.object({ chatId: id }).strict(),
      output: returns<null>(),
      handle: (ctx, { chatId }) => {
        ctx.chat.markRead(chatId)
        return null
      },
    }),
    typing: method({
      input: z
        .object({ chatId: id, state: z.enum(['active', 'composing', 'paused', 'inactive']) })
        .strict(),
      output: returns<null>(),
      handle: (ctx, { chatId, state }) => {
        ctx.chat.typingInChat(chatId, state)
        return null
      },
    }),
    loadOlder: method({
      input: z.object({ chatId: id, count: z.number().int().min(1).max(200).optional() }).strict(),
      output: returns<{ added: number; complete: boolean }>(),
      handle: (ctx, { chatId, count }) => ctx.chat.loadOlder(chatId, count),
    }),
    'file.pick': method({
      input: none,
      output: returns<{ fileId: string; name: string; size: number }[] | null>(),
      handle: async (ctx) => {
        if (!ctx.host.pickChatFiles) return null
        const paths = await ctx.host.pickChatFiles()
        return paths ? ctx.chatFiles.addPicked(paths) : null
      },
    }),
    'file.begin': method({
      input: z
        .object({ name: z.string().min(1).max(1000), size: z.number().int().min(0) })
        .strict(),
      output: returns<{ fileId: string; name: string; size: number }>(),
      handle: (ctx, { name, size }) => ctx.chatFiles.begin(name, size),
    }),
    'file.chunk': method({
      input: z
        .object({
          fileId: z.string().max(64),
          offset: z.number().int().min(0),
          // Base64 of at most 512 KiB.
          data: z
            .string()
            .max(700_000)
            .regex(/^[A-Za-z0-9+/]*={0,2}$/),
        })
        .strict(),
      output: returns<{ received: number }>(),
      handle: (ctx, { fileId, offset, data }) =>
        ctx.chatFiles.chunk(fileId, offset, Buffer.from(data, 'base64')),
    }),
    'file.cancel': method({
      input: z.object({ fileId: z.string().max(64) }).strict(),
      output: returns<null>(),
      handle: (ctx, { fileId }) => {
        ctx.chatFiles.cancel(fileId)
        return null
      },
    }),
    'file.send': method({
      input: z.object({ chatId: id, fileId: z.string().max(64) }).strict(),
      output: returns<{ messageId: number; chatId: number }>(),
      handle: async (ctx, { chatId, fileId }) => {
        ctx.chat.chat(chatId)
        const file = ctx.chatFiles.take(fileId)
        try {
          return await ctx.chat.sendFileToChat(chatId, file.path, file.name)
        } finally {
          file.done()
        }
      },
    }),
    'attachment.download': method({
      input: z.object({ attachmentId: id }).strict(),
      output: returns<null>(),
      handle: async (ctx, { attachmentId }) => {
        await ctx.chat.downloadAttachmentById(attachmentId)
        return null
      },
    }),
    'attachment.save': method({
      input: z.object({ attachmentId: id }).strict(),
      output: returns<{ savedTo: string } | { downloadUrl: string } | null>(),
      handle: async (ctx, { attachmentId }) => {
        const file = ctx.chat.attachmentFile(attachmentId)
        if (!file) return null
        if (!ctx.host.chooseSaveLocation)
          return { downloadUrl: `${ctx.chatFiles.viewUrl(attachmentId)}?download=1` }
        const target = await ctx.host.chooseSaveLocation(file.filename)
        if (!target) return null
        await ctx.chatFiles.copyOut(file.path, target)
        return { savedTo: target }
      },
    }),
    'contact.add': method({
      input: z.object({ accountId: id, jid, name: z.string().max(200).optional() }).strict(),
      output: returns<null>(),
      handle: async (ctx, { accountId, jid, name }) => {
        await ctx.chat.addContact(accountId, jid, name || undefined)
        return null
      },
    }),
    'subscription.answer': method({
      input: z.object({ accountId: id, jid, accept: z.boolean() }).strict(),
      output: returns<null>(),
      handle: (ctx, { accountId, jid, accept }) => {
        ctx.chat.answerSubscription(accountId, jid, accept)
        return null
      },
    }),
    'room.join': method({
      input: z
        .object({ accountId: id, room: jid, nick: z.string().trim().min(1).max(100) })
        .strict(),
      output: returns<{ chatId: number }>(),
      handle: async (ctx, { accountId, room, nick }) => ({
        chatId: await ctx.chat.joinRoom(accountId, room, nick),
      }),
    }),
    'room.leave': method({
      input: z.object({ chatId: id }).strict(),
      output: returns<null>(),
      handle: async (ctx, { chatId }) => {
        const chat = ctx.chat.chat(chatId)
        await ctx.chat.leaveRoom(chat.accountId, chat.peer)
        return null
      },
    }),
    'room.nick': method({
      input: z.object({ chatId: id, nick: z.string().trim().min(1).max(100) }).strict(),
      output: returns<null>(),
      handle: (ctx, { chatId, nick }) => {
        ctx.chat.changeNick(chatId, nick)
        return null
      },
    }),
    'room.occupants': method({
      input: z.object({ chatId: id }).strict(),
      output: returns<string[]>(),
      handle: (ctx, { chatId }) => ctx.chat.occupants(chatId),
    }),
    notify: method({
      input: z.object({ messageId: id }).strict(),
      output: returns<ChatNoticeView>(),
      handle: (ctx, { messageId }) => {
        const notice = ctx.chat.notification(messageId)
        if (!notice) return null
        const { chatId, title, body } = notice
        const shown =
          ctx.host.notify?.({ title, body }, () =>
            ctx.host.commands.emit('command', { command: 'open-chat', chatId }),
          ) ?? false
        return { shown, chatId, title, body }
      },
    }),
  },
  events: {
    state: forward('state'),
    message: forward('message'),
    messageState: forward('messageState'),
    typing: forward('typing'),
    presence: forward('presence'),
    subscriptionRequest: forward('subscriptionRequest'),
    roster: forward('roster'),
    archiveProgress: forward('archiveProgress'),
    synced: forward('synced'),
    attachment: forward('attachment'),
    room: forward('room'),
    accounts: forward('accounts'),
  },
})
