import { randomBytes } from 'node:crypto'
import type { AccountSecrets } from '../keychain/account-secrets.js'
import type { MailDb } from '../mail/db/connection.js'
import type { ProfilePaths } from '../profile/layout.js'
import { Emitter } from '../shared/emitter.js'
import { CairnError } from '../shared/errors.js'
import { ChatClient, type ChatClientEvents } from './chat-client.js'
import { discoverEndpoints, parseServer, type SrvLookup } from './server-discovery.js'
import {
  deleteChatAccount,
  getChatAccount,
  insertChatAccount,
  listChatAccounts,
} from './store/accounts.js'
import { getChat, listChats } from './store/chats.js'
import { chatHistory } from './store/messages.js'
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
import { bareJid, parseAccountJid } from './xmpp/jid.js'

/** Every client event, tagged with its account: what the IPC contract forwards. */
export type ChatEvents = {
  [E in keyof ChatClientEvents]: ChatClientEvents[E] & { accountId: number }
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
    return getChatAccount(this.db, id) as ChatAccount
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
    deleteChatAccount(this.db, accountId)
    this.secrets.delete(accountId, 'password')
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
        `The keychain has no password for ${account.jid}. Add the account again.`,
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

  /** Connect every account and keep it connected. */
  startAll(): void {
    for (const account of this.accounts()) this.client(account.id).start()
  }

  connectionState(accountId: number): ConnectionState {
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
    })
  }
}
