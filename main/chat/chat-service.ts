import { randomBytes } from 'node:crypto'
import type { AccountSecrets } from '../keychain/account-secrets.js'
import type { MailDb } from '../mail/db/connection.js'
import type { ProfilePaths } from '../profile/layout.js'
import { Emitter } from '../shared/emitter.js'
import { attachmentPath } from '../mail/attachment-store.js'
import { CairnError, describeError, isCairnError } from '../shared/errors.js'
import { ChatClient, type ChatClientEvents } from './chat-client.js'
import { discoverEndpoints, parseServer, type SrvLookup } from './server-discovery.js'
import {
  deleteChatAccount,
  getChatAccount,
  insertChatAccount,
  listChatAccounts,
  updateChatAccountConfig,
} from './store/accounts.js'
import { ensureChat, getChat, listChats } from './store/chats.js'
import { chatHistory, getAttachment } from './store/messages.js'
import { listContacts } from './store/roster.js'
import { searchChats } from './store/search.js'
import type {
  ChatAccount,
  ChatContact,
  ChatMessageView,
  ChatSearchHit,
  ChatServerConfig,
  ChatStateValue,
  ChatSummary,
  ConnectionState,
  PresenceView,
  SyncReport,
} from './types.js'
import { bareJid, parseAccountJid, toBare } from './xmpp/jid.js'
import { plainLine } from '../shared/plain-line.js'

/** Every client event, tagged with its account: what the IPC contract forwards. */
export type ChatEvents = {
  [E in keyof ChatClientEvents]: ChatClientEvents[E] & { accountId: number }
} & {
  /** An account was added, changed or removed. */
  accounts: { accountId: number; change: 'added' | 'updated' | 'removed' }
}

/** Group messages older than this when they arrive are the room's history, not news. */
const GROUP_NEWS_MS = 2 * 60_000

/** A new message as a notification shows it (plain text, cut short). */
export interface ChatNotification {
  chatId: number
  accountId: number
  title: string
  body: string
}

export interface NewChatAccount {
  jid: string
  password: string
  /** HOST or HOST:PORT; absent: SRV records of the JID's domain. */
  server?: string
  directTls?: boolean
  /** PEM of an extra CA to trust for this account. */
  ca?: string
  trustedFingerprint?: string
  name?: string
}

export interface ChatServiceOptions {
  lookup?: SrvLookup
  backoff?: { initialMs: number; maxMs: number }
  timeoutMs?: number
  keepaliveMs?: number
  autoDownloadBytes?: number
  initialArchive?: 'all' | number
  /** Messages per archive request (the server caps it too). */
  archivePageSize?: number
  /** The most archive pages one catch-up asks for (the rest comes on the next connection). */
  archiveMaxPages?: number
}

/**
 * Chat for one open profile: its XMPP accounts (passwords in the keychain
 * through accountSecrets, purpose 'password', so backups carry them), one
 * connected ChatClient per account, and the reads the UI needs (chats,
 * history, contacts, search). Events from every account arrive on one
 * typed emitter, tagged with the account id.
 */
export class ChatService {
  readonly events = new Emitter<ChatEvents>()
  private readonly clients = new Map<number, ChatClient>()
  /** Why an account's client could not be created (its password is not in the keychain…). */
  private readonly startErrors = new Map<number, CairnError>()

  constructor(
    private readonly db: MailDb,
    private readonly paths: ProfilePaths,
    private readonly secrets: AccountSecrets,
    private readonly options: ChatServiceOptions = {},
  ) {}

  accounts(): ChatAccount[] {
    return listChatAccounts(this.db)
  }

  /**
   * Add a chat account after proving it works: the server is found (SRV or
   * by hand), TLS verified, the password accepted. Only then is the account
   * stored, and its password put in the keychain. A certificate nobody
   * vouches for fails with its fingerprint (UntrustedCertificateError).
   */
  async addAccount(input: NewChatAccount): Promise<ChatAccount> {
    const jid = parseAccountJid(input.jid)
    if (!jid)
      throw new CairnError(
        'INVALID_ARGUMENT',
        `"${input.jid}" is not a chat address (name@domain).`,
      )
    const config: ChatServerConfig = { resource: `cairn-${randomBytes(4).toString('hex')}` }
    if (input.server) {
      const { host, port } = parseServer(input.server)
      config.host = host
      config.port = port
      if (input.directTls) config.directTls = true
    }
    if (input.ca) config.ca = input.ca
    if (input.trustedFingerprint) config.trustedFingerprint = input.trustedFingerprint
    const bare = bareJid(jid)
    const probe: ChatAccount = {
      id: 0,
      jid: bare,
      name: input.name ?? bare,
      config,
      createdAt: Date.now(),
    }
    const client = this.newClient(probe, input.password)
    try {
      await client.connectOnce('probe')
    } finally {
      await client.stop()
    }
    const id = insertChatAccount(this.db, bare, input.name ?? bare, config)
    try {
      this.secrets.set(id, 'password', input.password)
    } catch (error) {
      deleteChatAccount(this.db, id)
      throw error
    }
    this.events.emit('accounts', { accountId: id, change: 'added' })
    return getChatAccount(this.db, id) as ChatAccount
  }

  /**
   * Give an account a new password or trust a new certificate (after its
   * server changed one): the login is checked first, as when adding; only
   * then are the keychain and the settings changed and the account
   * reconnected. A certificate nobody vouches for fails with its fingerprint.
   */
  async updateAccount(
    accountId: number,
    change: { password?: string; trustedFingerprint?: string },
  ): Promise<ChatAccount> {
    const account = getChatAccount(this.db, accountId)
    if (!account) throw new CairnError('NOT_FOUND', 'This chat account no longer exists.')
    const password = change.password ?? this.secrets.get(accountId, 'password')
    if (password === null)
      throw new CairnError(
        'KEY_MISSING',
        `The keychain has no password for ${account.jid}: enter it to connect again.`,
      )
    const config: ChatServerConfig = { ...account.config }
    if (change.trustedFingerprint) config.trustedFingerprint = change.trustedFingerprint
    const probe = this.newClient({ ...account, config }, password)
    try {
      await probe.connectOnce('probe')
    } finally {
      await probe.stop()
    }
    await this.clients.get(accountId)?.stop()
    this.clients.delete(accountId)
    this.startErrors.delete(accountId)
    if (change.password !== undefined) this.secrets.set(accountId, 'password', change.password)
    updateChatAccountConfig(this.db, accountId, config)
    this.events.emit('accounts', { accountId, change: 'updated' })
    this.connect(accountId)
    return getChatAccount(this.db, accountId) as ChatAccount
  }

  /** Connect an account again now (after a failure the user has dealt with, or to skip a wait). */
  async reconnect(accountId: number): Promise<void> {
    await this.clients.get(accountId)?.stop()
    this.clients.delete(accountId)
    this.startErrors.delete(accountId)
    this.connect(accountId)
  }

  /**
   * "Add chat" for a mail account in one step: when the mail address's
   * domain offers XMPP (SRV records, or a server answering on the domain),
   * sign in with the same address and password (kept once more, under the
   * chat account's own keychain entry).
   */
  async addFromMailAccount(
    mailAccountId: number,
    extra: Omit<NewChatAccount, 'jid' | 'password'> = {},
  ): Promise<ChatAccount> {
    const row = this.db
      .prepare<[number], { email: string | null; kind: string; name: string }>(
        'SELECT email, kind, name FROM accounts WHERE id = ?',
      )
      .get(mailAccountId)
    if (!row || row.kind !== 'imap' || !row.email)
      throw new CairnError('NOT_FOUND', 'That mail account does not exist or has no address.')
    const password = this.secrets.get(mailAccountId, 'password')
    if (!password)
      throw new CairnError('KEY_MISSING', `The keychain has no password for ${row.email}.`)
    const jid = parseAccountJid(row.email)
    if (!jid) throw new CairnError('CHAT_NO_XMPP', `${row.email} cannot be a chat address.`)
    if (!extra.server) await discoverEndpoints(jid.domain, this.options.lookup) // CHAT_NO_XMPP when refused
    return this.addAccount({ ...extra, jid: row.email, password, name: extra.name ?? row.name })
  }

  async removeAccount(accountId: number): Promise<void> {
    await this.clients.get(accountId)?.stop()
    this.clients.delete(accountId)
    this.startErrors.delete(accountId)
    deleteChatAccount(this.db, accountId)
    this.secrets.delete(accountId, 'password')
    this.events.emit('accounts', { accountId, change: 'removed' })
  }

  /** The connected client of an account (created on first use, not yet started). */
  client(accountId: number): ChatClient {
    const existing = this.clients.get(accountId)
    if (existing) return existing
    const account = getChatAccount(this.db, accountId)
    if (!account) throw new CairnError('NOT_FOUND', 'This chat account no longer exists.')
    const password = this.secrets.get(accountId, 'password')
    if (password === null)
      throw new CairnError(
        'KEY_MISSING',
        `The keychain has no password for ${account.jid}: give it again to connect (in the app, choose the account under Chat).`,
      )
    const client = this.newClient(account, password)
    this.clients.set(accountId, client)
    const names: (keyof ChatClientEvents)[] = [
      'state',
      'message',
      'messageState',
      'typing',
      'presence',
      'subscriptionRequest',
      'roster',
      'archiveProgress',
      'synced',
      'attachment',
      'room',
    ]
    for (const name of names) {
      client.events.on(name, (payload) =>
        this.events.emit(name, { ...(payload as object), accountId } as ChatEvents[typeof name]),
      )
    }
    return client
  }

  /**
   * Connect every account and keep it connected. An account that cannot
   * start (its password is not in the keychain, the keychain is locked)
   * does not stop the others: its state says why (connectionState).
   */
  startAll(): void {
    for (const account of this.accounts()) this.connect(account.id)
  }

  /** Connect one account and keep it connected (the app, after adding it). */
  connect(accountId: number): void {
    try {
      this.client(accountId).start()
      this.startErrors.delete(accountId)
    } catch (error) {
      const failure = isCairnError(error)
        ? error
        : new CairnError('KEYCHAIN_UNAVAILABLE', describeError(error))
      this.startErrors.set(accountId, failure)
      this.events.emit('state', {
        accountId,
        status: 'failed',
        error: { code: failure.code, message: failure.message },
      })
    }
  }

  connectionState(accountId: number): ConnectionState {
    const failure = this.startErrors.get(accountId)
    if (failure)
      return { status: 'failed', error: { code: failure.code, message: failure.message } }
    return this.clients.get(accountId)?.connection ?? { status: 'offline' }
  }

  /** Connect, fetch what arrived and the archive, disconnect: `cairn chat sync --once`. */
  async syncOnce(accountId: number): Promise<SyncReport> {
    const client = this.client(accountId)
    let stored = 0
    const off = client.events.on('message', ({ via }) => {
      if (via !== 'local') stored++
    })
    try {
      await client.connectOnce()
      const result = await client.whenSynced()
      return {
        accountId,
        jid: client.own,
        archived: result.fetched,
        stored,
        contacts: listContacts(this.db, accountId).length,
      }
    } finally {
      off()
      await client.stop()
    }
  }

  // ---- what the UI does, by account (thin: the client does the work) ----

  sendText(accountId: number, to: string, text: string): { messageId: number; chatId: number } {
    return this.client(accountId).sendText(to, text)
  }

  sendFile(
    accountId: number,
    to: string,
    path: string,
  ): Promise<{ messageId: number; chatId: number }> {
    return this.client(accountId).sendFile(to, path)
  }

  /** The conversation with `jid` on an account (created when new), to open it before any message. */
  openChat(accountId: number, jid: string): ChatSummary {
    if (!getChatAccount(this.db, accountId))
      throw new CairnError('NOT_FOUND', 'This chat account no longer exists.')
    const bare = toBare(jid.trim())
    if (!bare || !bare.includes('@'))
      throw new CairnError('INVALID_ARGUMENT', `"${jid}" is not a chat address (name@domain).`)
    return getChat(this.db, ensureChat(this.db, accountId, bare, 'direct')) as ChatSummary
  }

  /** A chat by id, or a NOT_FOUND error the UI can show. */
  chat(chatId: number): ChatSummary {
    const chat = getChat(this.db, chatId)
    if (!chat) throw new CairnError('NOT_FOUND', 'This chat no longer exists.')
    return chat
  }

  sendToChat(chatId: number, text: string): { messageId: number; chatId: number } {
    const chat = this.chat(chatId)
    return this.client(chat.accountId).sendText(chat.peer, text, { group: chat.kind === 'group' })
  }

  sendFileToChat(
    chatId: number,
    path: string,
    displayName?: string,
  ): Promise<{ messageId: number; chatId: number }> {
    const chat = this.chat(chatId)
    return this.client(chat.accountId).sendFile(chat.peer, path, displayName)
  }

  typingInChat(chatId: number, state: ChatStateValue): void {
    const chat = this.chat(chatId)
    this.client(chat.accountId).setTyping(chat.peer, state)
  }

  changeNick(chatId: number, nick: string): void {
    const chat = this.chat(chatId)
    if (chat.kind !== 'group')
      throw new CairnError('INVALID_ARGUMENT', 'Only a group chat has nicknames.')
    this.client(chat.accountId).changeNick(chat.peer, nick)
  }

  occupants(chatId: number): string[] {
    const chat = this.chat(chatId)
    return chat.kind === 'group' ? this.client(chat.accountId).occupants(chat.peer) : []
  }

  /** The attachment's stored file, for the UI's request handler (null until it is downloaded). */
  attachmentFile(
    attachmentId: number,
  ): { sha256: string; filename: string; mimeType: string; size: number; path: string } | null {
    const row = getAttachment(this.db, attachmentId)
    if (!row || row.state !== 'stored' || !row.sha256) return null
    return {
      sha256: row.sha256,
      filename: row.filename,
      mimeType: row.mimeType,
      size: row.size ?? 0,
      path: attachmentPath(this.paths.attachments, row.sha256),
    }
  }

  /**
   * What a notification says about message `messageId`: the chat's name and
   * the start of the text, control and formatting characters removed (a
   * notification daemon may read markup), or null for our own messages
   * and for a room's old history.
   */
  notification(messageId: number): ChatNotification | null {
    const row = this.db
      .prepare<
        [number],
        {
          chatId: number
          accountId: number
          direction: string
          sender: string
          body: string
          peer: string
          kind: string
          name: string
          sentAt: number
        }
      >(
        `SELECT m.chat_id AS chatId, c.account_id AS accountId, m.direction, m.sender, m.sent_at AS sentAt,
                substr(m.body, 1, 400) AS body, c.peer, c.kind,
                coalesce(nullif(c.name, ''), (SELECT k.name FROM chat_contacts k
                   WHERE k.account_id = c.account_id AND k.jid = c.peer), '') AS name
           FROM chat_messages m JOIN chats c ON c.id = m.chat_id WHERE m.id = ?`,
      )
      .get(messageId)
    if (!row || row.direction !== 'in') return null
    // A room's history, sent again when we join, is not news.
    if (row.kind === 'group' && Date.now() - row.sentAt > GROUP_NEWS_MS) return null
    const chatName = row.name || row.peer
    const title = row.kind === 'group' ? `${row.sender} in ${chatName}` : chatName
    return {
      chatId: row.chatId,
      accountId: row.accountId,
      title: plainLine(title, 100),
      body: plainLine(row.body, 200),
    }
  }

  markRead(chatId: number): void {
    const chat = getChat(this.db, chatId)
    if (chat) this.client(chat.accountId).markRead(chatId)
  }

  setTyping(accountId: number, to: string, state: ChatStateValue): void {
    this.client(accountId).setTyping(to, state)
  }

  loadOlder(chatId: number, count = 50): Promise<{ added: number; complete: boolean }> {
    const chat = getChat(this.db, chatId)
    if (!chat) return Promise.reject(new CairnError('NOT_FOUND', 'This chat no longer exists.'))
    return this.client(chat.accountId).loadOlder(chatId, count)
  }

  downloadAttachment(accountId: number, attachmentId: number): Promise<string> {
    return this.client(accountId).downloadAttachment(attachmentId)
  }

  /** Download a shared file on request (larger than the automatic limit, or one that failed before). */
  downloadAttachmentById(attachmentId: number): Promise<string> {
    const row = this.db
      .prepare<[number], { accountId: number }>(
        `SELECT c.account_id AS accountId FROM chat_attachments a
           JOIN chat_messages m ON m.id = a.message_id JOIN chats c ON c.id = m.chat_id
          WHERE a.id = ?`,
      )
      .get(attachmentId)
    if (!row)
      return Promise.reject(new CairnError('NOT_FOUND', 'This file is no longer in the chat.'))
    return this.client(row.accountId).downloadAttachment(attachmentId)
  }

  addContact(accountId: number, jid: string, name?: string): Promise<void> {
    return this.client(accountId).addContact(jid, name)
  }

  answerSubscription(accountId: number, jid: string, accept: boolean): void {
    const client = this.client(accountId)
    if (accept) client.acceptSubscription(jid)
    else client.refuseSubscription(jid)
  }

  joinRoom(accountId: number, room: string, nick: string): Promise<number> {
    return this.client(accountId).joinRoom(room, nick)
  }

  leaveRoom(accountId: number, room: string): Promise<void> {
    return this.client(accountId).leaveRoom(room)
  }

  presence(accountId: number, jid: string): PresenceView {
    return this.client(accountId).presenceOf(jid)
  }

  /** Presence of several contacts; everyone is offline for an account that is not connected. */
  presenceMany(accountId: number, jids: string[]): PresenceView[] {
    const client = this.clients.get(accountId)
    return jids.map((jid) =>
      client
        ? client.presenceOf(jid)
        : { accountId, jid, show: 'offline' as const, status: '', resources: 0 },
    )
  }

  listChats(accountId?: number): ChatSummary[] {
    return listChats(this.db, accountId)
  }

  history(chatId: number, options: { limit: number; beforeId?: number }): ChatMessageView[] {
    if (!getChat(this.db, chatId)) throw new CairnError('NOT_FOUND', 'This chat no longer exists.')
    return chatHistory(this.db, chatId, options)
  }

  contacts(accountId: number): ChatContact[] {
    return listContacts(this.db, accountId)
  }

  search(query: string, limit: number): ChatSearchHit[] {
    return searchChats(this.db, query, limit)
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.stop()))
    this.clients.clear()
  }

  private newClient(account: ChatAccount, password: string): ChatClient {
    return new ChatClient({
      db: this.db,
      account,
      password,
      attachmentsDir: this.paths.attachments,
      lookup: this.options.lookup,
      backoff: this.options.backoff,
      timeoutMs: this.options.timeoutMs,
      keepaliveMs: this.options.keepaliveMs,
      autoDownloadBytes: this.options.autoDownloadBytes,
      initialArchive: this.options.initialArchive,
      archivePageSize: this.options.archivePageSize,
      archiveMaxPages: this.options.archiveMaxPages,
    })
  }
}
