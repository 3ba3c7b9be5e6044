/** Shapes of mail data as the UI sees them (they cross the IPC boundary, so plain JSON). */

export interface Address {
  name: string
  address: string
}

export interface FolderView {
  id: number
  accountId: number
  accountName: string
  parentId: number | null
  name: string
  path: string
  specialUse: string | null
  total: number
  unread: number
}

export interface MessageSummary {
  id: number
  folderId: number
  threadId: number | null
  subject: string
  from: Address
  date: number
  seen: boolean
  flagged: boolean
  hasAttachments: boolean
  snippet: string
  size: number
}

export interface AttachmentView {
  id: number
  filename: string
  mimeType: string
  size: number
  contentId: string | null
  disposition: 'attachment' | 'inline'
}

export interface MessageDetail extends MessageSummary {
  messageId: string
  to: Address[]
  cc: Address[]
  text: string
  /** The HTML body as received; never sent to the renderer as such (see main/ipc/mail-views.ts). */
  html: string | null
  attachments: AttachmentView[]
  /** The HTML asks for remote images, styles or fonts (the "Show images" banner). */
  remoteContent: boolean
  /** What was wrong with a damaged message (the reader shows recovered text and offers the raw one). */
  parseNote: string | null
  /** Its raw bytes are kept ("View source" works). */
  hasSource: boolean
  /** Why an account's message has only its headers (too large, unreadable…), when it has. */
  bodyNote: string | null
}

/** Position after which the next page of a folder listing starts (keyset pagination). */
export interface ListCursor {
  date: number
  id: number
}

export interface MessagePage {
  messages: MessageSummary[]
  /** Cursor for the page after this one, or null at the end of the folder. */
  next: ListCursor | null
}

export interface SearchHit extends MessageSummary {
  folderName: string
}

/** How a folder's list is ordered. */
export type SortKey = 'date' | 'sender' | 'subject' | 'size'

/** One conversation in a folder's threaded list: its newest message there, and counts. */
export interface ThreadSummary extends MessageSummary {
  /** Messages of the conversation in this folder. */
  threadCount: number
  threadUnread: number
}

export interface ThreadPage {
  threads: ThreadSummary[]
  /** How many conversations the folder has (the list's length). */
  total: number
}

/** A message of a conversation, in reading order, with its depth in the reply tree. */
export interface ThreadEntry extends MessageSummary {
  depth: number
  folderName: string
}

export interface ContactSuggestion {
  name: string
  address: string
}

export interface MessageSource {
  /** The raw message as text (8-bit bytes read as Latin-1 where not UTF-8), at most `maxBytes` of it. */
  text: string
  size: number
  truncated: boolean
}
