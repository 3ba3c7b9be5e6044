/** What the chat service shows and takes: plain data, safe to send over IPC. */

export type ChatKind = 'direct' | 'group'
export type MessageState = 'queued' | 'sent' | 'delivered' | 'read' | 'received' | 'failed'
export type ChatStateValue = 'active' | 'composing' | 'paused' | 'inactive' | 'gone'
export type Subscription = 'none' | 'to' | 'from' | 'both'

/** Where to reach the server of a chat account: stored in accounts.config_json (no secrets). */
export interface ChatServerConfig {
  /** Host and port given by hand; absent: found through SRV records of the JID's domain. */
  host?: string
  port?: number
  /** XEP-0368 direct TLS instead of STARTTLS. */
  directTls?: boolean
  /** Extra CA certificate (PEM) trusted for this account, e.g. a company CA. */
  ca?: string
  /** SHA-256 fingerprint of a certificate the user chose to trust explicitly. */
  trustedFingerprint?: string
  /** This device's resource name (stable, so stream resumption finds its session). */
  resource: string
}

export interface ChatAccount {
  id: number
  jid: string
  name: string
  config: ChatServerConfig
  createdAt: number
}

export type ConnectionState =
  | { status: 'offline' }
  | { status: 'connecting'; attempt: number }
  | { status: 'online'; resumed: boolean }
  | { status: 'waiting'; retryAt: number; error: { code: string; message: string } }
  /** A failure retrying cannot fix (password, certificate): the user must act. */
  | { status: 'failed'; error: { code: string; message: string; fingerprint?: string } }

export interface ChatSummary {
  id: number
  accountId: number
  peer: string
  kind: ChatKind
  name: string
  nick: string | null
  joined: boolean
  unread: number
  lastMessageAt: number | null
}

export interface ChatAttachmentView {
  id: number
  url: string
  filename: string
  mimeType: string
  size: number | null
  sha256: string | null
  state: 'remote' | 'stored' | 'failed'
}

export interface ChatMessageView {
  id: number
  chatId: number
  direction: 'in' | 'out'
  sender: string
  originId: string | null
  archiveId: string | null
  body: string
  sentAt: number
  receivedAt: number
  state: MessageState
  seen: boolean
  error: string | null
  attachments: ChatAttachmentView[]
}

export interface ChatContact {
  accountId: number
  jid: string
  name: string
  subscription: Subscription
  /** We asked to see their presence and wait for an answer. */
  ask: boolean
  /** They asked to see ours: accept or refuse. */
  incomingRequest: boolean
  inRoster: boolean
  groups: string[]
}

export interface PresenceView {
  accountId: number
  jid: string
  /** 'offline' when no resource is available. */
  show: 'online' | 'away' | 'chat' | 'dnd' | 'xa' | 'offline'
  status: string
  resources: number
}

export interface ChatSearchHit {
  messageId: number
  chatId: number
  accountId: number
  peer: string
  chatName: string
  sender: string
  direction: 'in' | 'out'
  sentAt: number
  snippet: string
}

export interface SyncReport {
  accountId: number
  jid: string
  archived: number
  stored: number
  contacts: number
}
