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
