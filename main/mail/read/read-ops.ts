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
import type {
  Address,
  FolderView,
  ListCursor,
  MessageDetail,
  MessagePage,
  SearchHit,
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
import { searchEverything, type EverythingHit } from './search-everything.js'

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
  message: { input: { id: number }; output: MessageDetail }
  /** Mail and chat messages for the one search box. */
  searchEverything: { input: { query: string; limit: number }; output: EverythingHit[] }
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
    case 'message':
      return messageDetail(db, request.input.id)
    case 'searchEverything':
      return searchEverything(db, request.input.query, request.input.limit)
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

/** A message as the reader shows it: headers, bodies and its attachments' descriptions. */
export function messageDetail(db: MailDb, id: number): MessageDetail {
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
