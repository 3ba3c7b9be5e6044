import type { MailDb } from '../db/connection.js'
import { listFolders } from '../store/folders.js'
import {
  countMessages,
  getAttachmentRows,
  getMessageRow,
  listMessages,
  toSummary,
} from '../store/messages.js'
import { searchMessages } from '../store/search.js'
import { listSorted, listThreads, suggestContacts, threadMessages } from '../store/listing.js'
import { getSource } from '../store/message-sources.js'
import {
  countMatches,
  searchMessages as searchPage,
  type SearchPage,
} from '../search/search-messages.js'
import { prepareMailHtml } from '../mail-html.js'
import { renderMailFrame } from '../mail-frame.js'
import type {
  Address,
  ContactSuggestion,
  FolderView,
  ListCursor,
  MessageDetail,
  MessagePage,
  MessageSource,
  SearchHit,
  SortKey,
  ThreadEntry,
  ThreadPage,
} from '../types.js'
import { CairnError } from '../../shared/errors.js'
import {
  chatList,
  chatPage,
  messageText,
  type ChatListItem,
  type ChatPageMessage,
} from '../../chat/store/views.js'
import { listContacts } from '../../chat/store/roster.js'
import type { ChatContact } from '../../chat/types.js'
import {
  countEverything,
  searchEverything,
  type EverythingCount,
  type EverythingCursor,
  type EverythingPage,
} from './search-everything.js'

/** What each read worker is given: the database to open read-only. */
export interface ReadWorkerData {
  databaseFile: string
}

/** Every read the mailbox answers off the main thread: its input and its answer. */
export interface ReadOps {
  overview: { input: Record<string, never>; output: { messageCount: number } }
  folders: { input: Record<string, never>; output: FolderView[] }
  list: {
    input: {
      folderId: number
      cursor?: ListCursor | undefined
      offset?: number | undefined
      limit: number
    }
    output: MessagePage
  }
  search: { input: { query: string; limit: number }; output: SearchHit[] }
  searchPage: {
    input: { query: string; limit: number; before?: number | undefined }
    output: SearchPage
  }
  searchCount: { input: { query: string }; output: number }
  sorted: {
    input: {
      folderId: number
      by: Exclude<SortKey, 'date'>
      descending: boolean
      offset: number
      limit: number
    }
    output: MessagePage
  }
  threads: {
    input: {
      folderId: number
      cursor?: ListCursor | undefined
      offset?: number | undefined
      limit: number
    }
    output: ThreadPage
  }
  thread: { input: { threadId: number }; output: ThreadEntry[] }
  contacts: { input: { prefix: string; limit: number }; output: ContactSuggestion[] }
  source: { input: { id: number; maxBytes: number }; output: MessageSource }
  frame: { input: { id: number; viewId: string }; output: string }
  message: { input: { id: number }; output: MessageDetail }
  /** A page of mail and chat messages for the one search box. */
  searchEverything: {
    input: { query: string; limit: number; cursor?: EverythingCursor | undefined }
    output: EverythingPage
  }
  /** How many mail and chat messages the search box's query finds (up to COUNT_CAP). */
  countEverything: { input: { query: string }; output: EverythingCount }
  // Chats live in the same database: their reads run here too.
  chatList: { input: Record<string, never>; output: ChatListItem[] }
  chatPage: {
    input: { chatId: number; limit: number; beforeId?: number | undefined }
    output: ChatPageMessage[]
  }
  chatText: {
    input: { messageId: number; offset: number; length: number }
    output: { text: string; total: number } | null
  }
  chatContacts: { input: { accountId: number }; output: ChatContact[] }
}

export type ReadOp = keyof ReadOps

export type ReadRequest = { [Op in ReadOp]: { op: Op; input: ReadOps[Op]['input'] } }[ReadOp]

/** Answer one read from `db` (the read worker's own read-only connection). */
export function answerRead(db: MailDb, request: ReadRequest): ReadOps[ReadOp]['output'] {
  switch (request.op) {
    case 'overview':
      return { messageCount: countMessages(db) }
    case 'folders':
      return listFolders(db)
    case 'list': {
      const { folderId, ...options } = request.input
      return listMessages(db, folderId, options)
    }
    case 'search':
      return searchMessages(db, request.input.query, request.input.limit)
    case 'searchPage':
      return searchPage(db, request.input.query, {
        limit: request.input.limit,
        before: request.input.before,
      })
    case 'searchCount':
      return countMatches(db, request.input.query)
    case 'sorted': {
      const { folderId, ...options } = request.input
      return listSorted(db, folderId, options)
    }
    case 'threads': {
      const { folderId, ...options } = request.input
      return listThreads(db, folderId, options)
    }
    case 'thread':
      return threadMessages(db, request.input.threadId)
    case 'contacts':
      return suggestContacts(db, request.input.prefix, request.input.limit)
    case 'source':
      return messageSource(db, request.input.id, request.input.maxBytes)
    case 'frame':
      return renderMailFrame(messageDetail(db, request.input.id, false), request.input.viewId)
    case 'message':
      return messageDetail(db, request.input.id)
    case 'searchEverything':
      return searchEverything(db, request.input.query, {
        limit: request.input.limit,
        cursor: request.input.cursor,
      })
    case 'countEverything':
      return countEverything(db, request.input.query)
    case 'chatList':
      return chatList(db)
    case 'chatPage': {
      const { chatId, ...options } = request.input
      return chatPage(db, chatId, options)
    }
    case 'chatText': {
      const { messageId, offset, length } = request.input
      return messageText(db, messageId, offset, length)
    }
    case 'chatContacts':
      return listContacts(db, request.input.accountId)
  }
}

/** The raw message ("View source"), as far as `maxBytes`. */
export function messageSource(db: MailDb, id: number, maxBytes: number): MessageSource {
  const row = getMessageRow(db, id)
  if (!row) throw new CairnError('NOT_FOUND', 'This message no longer exists.')
  const raw = row.source_sha256 ? getSource(db, row.source_sha256) : null
  if (!raw)
    throw new CairnError(
      'SOURCE_UNAVAILABLE',
      row.body_error ??
        'Cairn has not kept the original of this message (it was imported by an older version, or its body has not been downloaded yet).',
    )
  const part = raw.subarray(0, maxBytes)
  const utf8 = new TextDecoder('utf-8', { fatal: false }).decode(part)
  return {
    // Bytes that are not UTF-8 read as Latin-1 rather than as replacement characters.
    text: utf8.includes('\uFFFD') ? part.toString('latin1') : utf8,
    size: raw.length,
    truncated: raw.length > maxBytes,
  }
}

/** A message as the reader shows it: headers, bodies and its attachments' descriptions. */
export function messageDetail(db: MailDb, id: number, checkRemote = true): MessageDetail {
  const row = getMessageRow(db, id)
  if (!row) throw new CairnError('NOT_FOUND', 'This message no longer exists.')
  const attachments = getAttachmentRows(db, id)
  return {
    ...toSummary(row),
    messageId: row.message_id,
    to: JSON.parse(row.to_json) as Address[],
    cc: JSON.parse(row.cc_json) as Address[],
    text: row.body_text,
    html: row.body_html,
    remoteContent:
      checkRemote &&
      row.body_html !== null &&
      prepareMailHtml(row.body_html, { inlineImageUrl: () => null }).hasRemoteContent,
    parseNote: row.parse_note,
    hasSource: row.source_sha256 !== null,
    bodyNote: row.body_error,
    attachments: attachments.map((a) => ({
      id: a.id,
      filename: a.filename,
      mimeType: a.mime_type,
      size: a.size,
      contentId: a.content_id,
      disposition: a.disposition,
    })),
  }
}
