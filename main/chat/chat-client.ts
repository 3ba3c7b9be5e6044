import type { MailDb } from '../mail/db/connection.js'
import { Emitter } from '../shared/emitter.js'
import {
  ArchivePageCollector,
  CatchUpLimits,
  MAX_CATCH_UP_PAGES,
  pageToContinueFrom,
} from './archive-paging.js'
import { CairnError, describeError, isCairnError } from '../shared/errors.js'
import { downloadToStore, fileNameFromUrl, mimeTypeOf } from './files.js'
import { PresenceTracker } from './presence-tracker.js'
import { Rooms } from './rooms.js'
import { applyRosterPush, fetchRoster } from './roster-sync.js'
import { Uploader } from './upload.js'
import { parseMessage, type IncomingMessage } from './protocol/incoming.js'
import {
  archiveQuery,
  chatMessage,
  chatState,
  displayedMarker,
  presence,
  receipt,
  rosterSet,
} from './protocol/outgoing.js'
import { discoverEndpoints, type SrvLookup } from './server-discovery.js'
import { atomically, cached } from './store/statements.js'
import {
  ensureChat,
  findChat,
  getChat,
  isArchiveComplete,
  joinedRooms,
  setArchiveComplete,
} from './store/chats.js'
import {
  addAttachment,
  advanceState,
  failMessage,
  findOutgoing,
  markReadUpTo,
  markSeen,
  oldestArchiveId,
  queuedMessages,
  setAttachmentFailed,
  setAttachmentStored,
  storeChatMessage,
} from './store/messages.js'
import { isInRoster, setArchiveCursor, setIncomingRequest, syncState } from './store/roster.js'
import type {
  ChatAccount,
  ChatStateValue,
  ConnectionState,
  MessageState,
  PresenceView,
  Subscription,
} from './types.js'
import { bareJid, parseAccountJid, parseJid, toBare, type Jid } from './xmpp/jid.js'
import { NS } from './xmpp/namespaces.js'
import { newId, XmppSession } from './xmpp/session.js'
import { UntrustedCertificateError, type Endpoint } from './xmpp/transport.js'
import { el, type XmlElement } from './xmpp/xml.js'

export interface ChatClientOptions {
  db: MailDb
  account: ChatAccount
  password: string
  attachmentsDir: string
  lookup?: SrvLookup
  /** Shared files up to this size are downloaded into the profile as they arrive. */
  autoDownloadBytes?: number
  /** First and longest wait between reconnection attempts (ms). */
  backoff?: { initialMs: number; maxMs: number }
  timeoutMs?: number
  keepaliveMs?: number
  archivePageSize?: number
  /** The most archive pages one catch-up asks for (the rest comes on the next connection). */
  archiveMaxPages?: number
  /**
   * How much of the server's archive a new account fetches on its first
   * connection: 'all', or the newest N messages (older ones come on
   * scroll-back, loadOlder).
   */
  initialArchive?: 'all' | number
}

export interface ChatClientEvents {
  [name: string]: unknown
  state: ConnectionState
  message: {
    chatId: number
    messageId: number
    direction: 'in' | 'out'
    via: IncomingMessage['via'] | 'local'
  }
  messageState: { chatId: number; messageId: number; state: MessageState }
  typing: { chatId: number; peer: string; sender: string; state: ChatStateValue }
  presence: { jids: string[] }
  subscriptionRequest: { jid: string }
  roster: { changed: string[] }
  archiveProgress: { fetched: number; stored: number }
  synced: { fetched: number; stored: number }
  attachment: {
    attachmentId: number
    messageId: number
    chatId: number
    state: 'stored' | 'failed'
  }
  room: { chatId: number; room: string; joined: boolean; occupants: string[]; error?: string }
}

/** Reasons a reconnect cannot fix: the user must change something first. */
const NOT_RETRYABLE = new Set([
  'CHAT_AUTH_FAILED',
  'CHAT_TLS_UNTRUSTED',
  'CHAT_TLS_REQUIRED',
  'CHAT_NO_XMPP',
])

/**
 * One chat account, connected: the XMPP session with reconnection and
 * backoff, and everything that flows through it into the store: messages
 * (live, carbons, the archive), receipts and markers, typing, presence and
 * the roster, group chats, shared files. Each stanza is stored as it
 * arrives, and the same message reaching Cairn twice is stored once. The
 * one wait: a direct message that arrives live while a new connection is
 * still catching up on the archive is stored once the catch-up ends, after
 * the older messages the archive brings (the server's archive holds it too,
 * so a crash in between loses nothing).
 */
export class ChatClient {
  readonly events = new Emitter<ChatClientEvents>()
  readonly jid: Jid
  private readonly session: XmppSession
  private readonly presences: PresenceTracker
  private readonly rooms: Rooms
  private readonly inFlight = new Map<string, number>() // origin id → message id
  private readonly archiveCollectors = new Map<string, ArchivePageCollector>()
  private state: ConnectionState = { status: 'offline' }
  private running = false
  private attempt = 0
  private retryTimer: NodeJS.Timeout | null = null
  private endpoints: Endpoint[] | null = null
  private syncing: Promise<{ fetched: number; stored: number }> | null = null
  private live = false // the archive has been caught up on this connection
  private held: IncomingMessage[] | null = null // live direct messages waiting for the catch-up
  private firstSync = false
  private mode: 'full' | 'send' | 'probe' = 'full'
  private readonly downloads = new Set<Promise<void>>()
  private readonly chatKinds = new Map<string, 'direct' | 'group'>()
  private readonly uploader: Uploader

  constructor(private readonly options: ChatClientOptions) {
    const jid = parseAccountJid(options.account.jid)
    if (!jid)
      throw new CairnError('INVALID_ARGUMENT', `"${options.account.jid}" is not a chat address.`)
    this.jid = jid
    const config = options.account.config
    this.session = new XmppSession({
      jid,
      password: options.password,
      resource: config.resource,
      endpoint: { host: jid.domain, port: 5222, directTls: false },
      trust: { ca: config.ca, trustedFingerprint: config.trustedFingerprint },
      timeoutMs: options.timeoutMs,
      keepaliveMs: options.keepaliveMs,
    })
    this.rooms = new Rooms({
      session: this.session,
      db: options.db,
      accountId: options.account.id,
      timeoutMs: options.timeoutMs ?? 20_000,
      emit: (event) => this.events.emit('room', event),
      entered: () => this.sendQueued(),
    })
    this.uploader = new Uploader(this.session, jid.domain, {
      ca: config.ca,
      trustedFingerprint: config.trustedFingerprint,
    })
    this.presences = new PresenceTracker((jids) => this.events.emit('presence', { jids }))
    this.session.events.on('stanza', (stanza) => this.onStanza(stanza))
    this.session.events.on('acked', (stanza) => this.onAcked(stanza))
    this.session.events.on('online', ({ resumed }) => this.onOnline(resumed))
    this.session.events.on('offline', ({ error }) => this.onOffline(error))
    this.session.onIq('set', NS.roster, 'query', (iq) => this.onRosterPush(iq))
  }

  get accountId(): number {
    return this.options.account.id
  }

  get own(): string {
    return bareJid(this.jid)
  }

  get connection(): ConnectionState {
    return this.state
  }

  /** Connect and stay connected (reconnecting with backoff) until stop(). */
  start(): void {
    if (this.running) return
    this.running = true
    this.mode = 'full'
    void this.tryConnect()
  }

  /**
   * Connect once, without retrying: for the command line and for checking a
   * new account. 'send' only sends what is queued (no presence, no archive);
   * 'probe' only proves the login works.
   */
  async connectOnce(mode: 'full' | 'send' | 'probe' = 'full'): Promise<void> {
    this.running = false
    this.mode = mode
    await this.connectNow()
  }

  async stop(): Promise<void> {
    this.running = false
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    if (this.session.online) {
      try {
        this.session.send(presence('unavailable'))
      } catch {
        // already gone
      }
    }
    await this.session.close()
    // Files still arriving finish first: their bytes are already on the way.
    await Promise.all([...this.downloads])
    this.setState({ status: 'offline' })
  }

  /** Resolves when the archive catch-up of the current connection is done. */
  async whenSynced(): Promise<{ fetched: number; stored: number }> {
    if (this.syncing) return this.syncing
    return { fetched: 0, stored: 0 }
  }

  /** Drop the link without closing the stream (as a network loss would); the next connect resumes. */
  dropConnection(): void {
    this.session.drop()
  }

  // ---- connecting -----------------------------------------------------------

  private async connectNow(): Promise<void> {
    this.setState({ status: 'connecting', attempt: this.attempt + 1 })
    const endpoints = await this.resolveEndpoints()
    let lastError: unknown = null
    for (const endpoint of endpoints) {
      this.session.setEndpoint(endpoint)
      try {
        await this.session.connect()
        return
      } catch (error) {
        lastError = error
        if (isCairnError(error) && NOT_RETRYABLE.has(error.code)) break
      }
    }
    throw (
      lastError ??
      new CairnError('CHAT_UNREACHABLE', `No chat server found for ${this.jid.domain}.`)
    )
  }

  private async resolveEndpoints(): Promise<Endpoint[]> {
    const config = this.options.account.config
    if (config.host)
      return [
        { host: config.host, port: config.port ?? 5222, directTls: config.directTls ?? false },
      ]
    if (!this.endpoints)
      this.endpoints = (await discoverEndpoints(this.jid.domain, this.options.lookup)).endpoints
    return this.endpoints
  }

  private async tryConnect(): Promise<void> {
    this.retryTimer = null
    if (!this.running) return
    try {
      await this.connectNow()
    } catch (error) {
      const failure = isCairnError(error)
        ? error
        : new CairnError('CHAT_UNREACHABLE', describeError(error))
      if (NOT_RETRYABLE.has(failure.code)) {
        this.running = false
        this.setState({
          status: 'failed',
          error: {
            code: failure.code,
            message: failure.message,
            ...(failure instanceof UntrustedCertificateError
              ? { fingerprint: failure.fingerprint }
              : {}),
          },
        })
        return
      }
      this.scheduleReconnect(failure)
    }
  }

  private scheduleReconnect(error: CairnError): void {
    if (!this.running || this.retryTimer) return
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 1000, maxMs: 60_000 }
    const delay =
      Math.min(maxMs, initialMs * 2 ** Math.min(this.attempt, 16)) * (0.75 + Math.random() * 0.5)
    this.attempt++
    this.setState({
      status: 'waiting',
      retryAt: Date.now() + delay,
      error: { code: error.code, message: error.message },
    })
    this.retryTimer = setTimeout(() => void this.tryConnect(), delay)
  }

  private onOffline(error: CairnError | null): void {
    this.live = false
    this.rooms.clearOccupants()
    if (error && this.running) this.scheduleReconnect(error)
    else if (!this.running) this.setState({ status: 'offline' })
  }

  private onOnline(resumed: boolean): void {
    this.attempt = 0
    this.setState({ status: 'online', resumed })
    if (this.mode === 'probe') return
    if (this.mode === 'send') {
      this.inFlight.clear()
      this.sendQueued()
      return
    }
    if (resumed) {
      this.live = true
      this.sendQueued()
      return
    }
    // A new session: nothing in flight survived; the store says what still has to go.
    this.inFlight.clear()
    this.presences.clear()
    const session = this.session
    try {
      session.send(presence())
    } catch {
      return
    }
    void session.iq(rosterEnableCarbons()).catch(() => undefined)
    void this.fetchRoster().catch(() => undefined)
    this.sendQueued()
    for (const room of joinedRooms(this.options.db, this.accountId)) {
      if (room.nick) void this.joinRoom(room.peer, room.nick).catch(() => undefined)
    }
    const held: IncomingMessage[] = []
    this.held = held
    this.syncing = this.catchUp().finally(() => this.releaseHeld(held))
    this.syncing.catch(() => undefined)
  }

  private setState(state: ConnectionState): void {
    this.state = state
    this.events.emit('state', state)
  }

  // ---- sending ----------------------------------------------------------------

  /** Store a message as queued and send it if connected; returns its id. */
  sendText(
    peer: string,
    text: string,
    options: { url?: string; group?: boolean } = {},
  ): { messageId: number; chatId: number } {
    const to = toBare(peer)
    if (!to) throw new CairnError('INVALID_ARGUMENT', `"${peer}" is not a chat address.`)
    if (text.length === 0) throw new CairnError('INVALID_ARGUMENT', 'The message is empty.')
    const group = options.group ?? this.rooms.has(to)
    const db = this.options.db
    const originId = newId()
    const now = Date.now()
    const { chatId, messageId } = db.transaction(() => {
      const chatId = ensureChat(db, this.accountId, to, group ? 'group' : 'direct')
      const sender = group
        ? (this.rooms.nick(to) ?? getChat(db, chatId)?.nick ?? this.jid.local)
        : this.own
      const { id } = storeChatMessage(db, {
        chatId,
        direction: 'out',
        sender,
        originId,
        archiveId: null,
        body: text,
        sentAt: now,
        receivedAt: now,
        state: 'queued',
        seen: true,
        place: 'end',
      })
      if (options.url)
        addAttachment(db, id, {
          url: options.url,
          filename: fileNameFromUrl(options.url),
          mimeType: mimeTypeOf(options.url),
          size: null,
        })
      return { chatId, messageId: id }
    })()
    this.events.emit('message', { chatId, messageId, direction: 'out', via: 'local' })
    if (this.session.online)
      this.transmit(messageId, originId, to, text, group, options.url ?? null)
    return { messageId, chatId }
  }

  /** Upload a file (XEP-0363, streamed from disk) and send its address as a message. */
  async sendFile(
    peer: string,
    path: string,
    displayName?: string,
  ): Promise<{ messageId: number; chatId: number }> {
    const { url, name, type, sha256, size } = await this.uploader.upload(
      path,
      this.options.attachmentsDir,
      displayName,
    )
    const sent = this.sendText(peer, url, { url })
    const db = this.options.db
    const attachment = cached<[number], { id: number }>(
      db,
      'SELECT id FROM chat_attachments WHERE message_id = ?',
    ).get(sent.messageId)
    if (attachment) {
      cached(db, 'UPDATE chat_attachments SET filename = ?, mime_type = ? WHERE id = ?').run(
        name,
        type,
        attachment.id,
      )
      setAttachmentStored(db, attachment.id, sha256, size)
      this.events.emit('attachment', {
        attachmentId: attachment.id,
        messageId: sent.messageId,
        chatId: sent.chatId,
        state: 'stored',
      })
    }
    return sent
  }

  /** Resolves when the server has acknowledged the message (its state is sent or later). */
  waitUntilSent(messageId: number, timeoutMs = 30_000): Promise<void> {
    const current = this.messageState(messageId)
    if (current && current !== 'queued' && current !== 'failed') return Promise.resolve()
    return new Promise((resolve, reject) => {
      const finish = (error?: CairnError) => {
        clearTimeout(timer)
        offState()
        offMessage()
        if (error) reject(error)
        else resolve()
      }
      const timer = setTimeout(
        () =>
          finish(
            new CairnError(
              'CHAT_TIMEOUT',
              'The chat server did not confirm the message in time; it stays queued and is sent on the next connection.',
            ),
          ),
        timeoutMs,
      )
      const offMessage = this.events.on('messageState', (event) => {
        if (event.messageId !== messageId) return
        if (event.state === 'failed')
          finish(new CairnError('CHAT_REJECTED', 'The chat server refused the message.'))
        else if (event.state !== 'queued') finish()
      })
      // Connected once (the command line): a lost connection will not come back to confirm it.
      const offState = this.events.on('state', (state) => {
        if (state.status === 'failed' || (state.status === 'offline' && !this.running))
          finish(
            new CairnError(
              'CHAT_NOT_CONNECTED',
              'The connection closed before the server confirmed the message; it stays queued and is sent on the next connection.',
            ),
          )
      })
    })
  }

  private messageState(messageId: number): MessageState | null {
    return (
      cached<[number], { state: MessageState }>(
        this.options.db,
        'SELECT state FROM chat_messages WHERE id = ?',
      ).get(messageId)?.state ?? null
    )
  }

  private transmit(
    messageId: number,
    originId: string,
    to: string,
    body: string,
    group: boolean,
    url: string | null,
  ): void {
    const stanza = chatMessage({ to, id: originId, body, group, url })
    this.inFlight.set(originId, messageId)
    try {
      this.session.send(stanza)
    } catch {
      this.inFlight.delete(originId)
      return
    }
    if (!this.session.streamManagement) {
      // Without XEP-0198, a ping answered after the message proves the server took it.
      void this.session
        .flush()
        .then(() => this.markSent(originId))
        .catch(() => undefined)
    }
  }

  private sendQueued(): void {
    for (const row of queuedMessages(this.options.db, this.accountId)) {
      if (this.inFlight.has(row.origin_id)) continue
      if (row.kind === 'group' && !this.rooms.isJoined(row.peer)) continue
      this.transmit(row.id, row.origin_id, row.peer, row.body, row.kind === 'group', row.url)
    }
  }

  private onAcked(stanza: XmlElement): void {
    if (stanza.name !== 'message') return
    const id = stanza.attrs.id
    if (id) this.markSent(id)
  }

  private markSent(originId: string): void {
    const messageId = this.inFlight.get(originId)
    if (messageId === undefined) return
    this.inFlight.delete(originId)
    if (advanceState(this.options.db, messageId, 'sent')) this.emitState(messageId, 'sent')
  }

  private emitState(messageId: number, state: MessageState): void {
    const row = cached<[number], { chat_id: number }>(
      this.options.db,
      'SELECT chat_id FROM chat_messages WHERE id = ?',
    ).get(messageId)
    if (row) this.events.emit('messageState', { chatId: row.chat_id, messageId, state })
  }

  /** Tell a contact we are typing (or stopped): XEP-0085, never archived. */
  setTyping(peer: string, state: ChatStateValue): void {
    const to = toBare(peer)
    if (!to || !this.session.online) return
    this.session.send(chatState(to, state, this.rooms.has(to)))
  }

  /** The user has read the chat: incoming messages become seen, and the contact gets a read marker. */
  markRead(chatId: number): void {
    const chat = getChat(this.options.db, chatId)
    if (!chat || chat.accountId !== this.accountId) return
    const { last, changed } = markSeen(this.options.db, chatId)
    if (changed > 0 && last?.origin_id && this.session.online && chat.kind === 'direct') {
      this.session.send(displayedMarker(chat.peer, last.origin_id))
    }
  }

  // ---- incoming ------------------------------------------------------------------

  private onStanza(stanza: XmlElement): void {
    skipIfBad(() => {
      if (stanza.name === 'message') this.onMessage(stanza)
      else if (stanza.name === 'presence') this.onPresence(stanza)
    })
  }

  private perspective() {
    return {
      own: this.own,
      isRoom: (bare: string) => this.rooms.has(bare) || this.isStoredRoom(bare),
    }
  }

  private isStoredRoom(bare: string): boolean {
    let known: 'direct' | 'group' | null | undefined = this.chatKinds.get(bare)
    if (known === undefined) {
      known = findChat(this.options.db, this.accountId, bare)?.kind ?? null
      if (known !== null) this.chatKinds.set(bare, known) // a chat never changes kind
    }
    return known === 'group'
  }

  private onMessage(stanza: XmlElement): void {
    const message = parseMessage(stanza, this.perspective())
    if (!message) return
    if (message.via === 'archive') {
      const collector = message.queryId ? this.archiveCollectors.get(message.queryId) : undefined
      collector?.add(message)
      return
    }
    if (this.held && message.kind === 'direct' && !message.errorFor && message.body?.trim()) {
      // Stored now, it would sit before older messages the catch-up has yet to bring.
      this.held.push(message)
      return
    }
    this.ingest(message, 'end', false)
  }

  /** Store what arrived live during the catch-up, in arrival order (doubles of archived ones are dropped). */
  private releaseHeld(held: IncomingMessage[]): void {
    if (this.held === held) this.held = null
    for (const message of held) skipIfBad(() => this.ingest(message, 'end', false))
  }

  /** Store one message and apply what it says (receipt, marker, error); returns true when newly stored. */
  private ingest(
    message: IncomingMessage,
    place: 'end' | 'start',
    seenByDefault: boolean,
  ): boolean {
    const db = this.options.db
    if (message.errorFor) {
      const chat = findChat(db, this.accountId, message.peer)
      const out = chat && findOutgoing(db, chat.id, message.errorFor)
      if (out) {
        this.inFlight.delete(message.errorFor)
        failMessage(db, out.id, `The message was not delivered (${message.errorText ?? 'error'}).`)
        this.emitState(out.id, 'failed')
      }
      return false
    }
    let direction = message.direction
    if (message.kind === 'group') {
      const nick = this.rooms.nick(message.peer) ?? findChat(db, this.accountId, message.peer)?.nick
      direction = nick !== undefined && nick !== null && message.sender === nick ? 'out' : 'in'
    }
    if (message.receiptFor && message.kind === 'direct' && direction === 'in') {
      this.applyToOutgoing(message.peer, message.receiptFor, 'delivered')
    }
    if (message.displayedFor) {
      if (direction === 'in' && message.kind === 'direct')
        this.applyToOutgoing(message.peer, message.displayedFor, 'read')
      else if (direction === 'out') this.seenElsewhere(message.peer, message.displayedFor)
    }
    if (message.chatState && message.via === 'live' && direction === 'in') {
      const chat = findChat(db, this.accountId, message.peer)
      if (chat)
        this.events.emit('typing', {
          chatId: chat.id,
          peer: message.peer,
          sender: message.sender,
          state: message.chatState,
        })
    }
    if (message.body === null || message.body.trim() === '') return false
    if (message.kind === 'group' && message.sender === '') return false // the room itself speaking (subjects, notices)
    const now = Date.now()
    const stored = atomically(db, () => {
      const chatId = ensureChat(db, this.accountId, message.peer, message.kind)
      const result = storeChatMessage(db, {
        chatId,
        direction,
        sender: message.sender,
        originId: message.originId,
        archiveId: message.archiveId,
        body: message.body as string,
        sentAt: message.sentAt ?? now,
        receivedAt: now,
        state: direction === 'out' ? 'sent' : 'received',
        seen: direction === 'out' || seenByDefault,
        place,
      })
      if (result.inserted && message.oobUrl) {
        addAttachment(db, result.id, {
          url: message.oobUrl,
          filename: fileNameFromUrl(message.oobUrl),
          mimeType: mimeTypeOf(fileNameFromUrl(message.oobUrl)),
          size: null,
        })
      }
      // Once caught up, live messages arrive in archive order: the cursor can follow them.
      if (this.live && message.via !== 'archive' && message.kind === 'direct' && message.archiveId)
        setArchiveCursor(db, this.accountId, message.archiveId)
      return { chatId, ...result }
    })
    if (
      direction === 'out' &&
      message.originId &&
      this.inFlight.has(message.originId) &&
      message.kind === 'group'
    ) {
      // The room echoed our message: it has it.
      this.markSent(message.originId)
    }
    if (
      message.via === 'live' &&
      direction === 'in' &&
      message.kind === 'direct' &&
      message.receiptRequested &&
      message.originId &&
      this.session.online &&
      // A receipt says "online now": contacts only (XEP-0184 §8), never to whoever asks.
      isInRoster(db, this.accountId, message.peer)
    ) {
      this.session.send(receipt(message.fromFull, message.originId))
    }
    if (stored.inserted) {
      this.events.emit('message', {
        chatId: stored.chatId,
        messageId: stored.id,
        direction,
        via: message.via,
      })
      if (message.oobUrl && this.fetchesFilesOf(message, direction)) this.autoDownload(stored.id)
    }
    return stored.inserted
  }

  /**
   * Whose shared files are fetched as they arrive: ours (from another
   * device), a contact's, and those of a room the user joined. A stranger's
   * wait for a click on Download: fetching a link anyone can send tells its
   * server the user's address and that they are online (as remote images in
   * mail would), and lets strangers fill the disk. (Delivery receipts go to
   * contacts only, for the same reason.)
   */
  private fetchesFilesOf(message: IncomingMessage, direction: 'in' | 'out'): boolean {
    if (direction === 'out' || message.kind === 'group') return true
    return isInRoster(this.options.db, this.accountId, message.peer)
  }

  private applyToOutgoing(peer: string, originId: string, state: 'delivered' | 'read'): void {
    const db = this.options.db
    const chat = findChat(db, this.accountId, peer)
    const out = chat && findOutgoing(db, chat.id, originId)
    if (!chat || !out) return
    if (state === 'delivered') {
      if (advanceState(db, out.id, 'delivered')) this.emitState(out.id, 'delivered')
    } else if (markReadUpTo(db, chat.id, out.ord) > 0) {
      this.emitState(out.id, 'read')
    }
  }

  /** Our other device showed the conversation up to a message: it is read here too. */
  private seenElsewhere(peer: string, originId: string): void {
    const db = this.options.db
    const chat = findChat(db, this.accountId, peer)
    if (!chat) return
    const row = cached<[number, string], { ord: number }>(
      db,
      `SELECT ord FROM chat_messages WHERE chat_id = ? AND direction = 'in' AND origin_id = ?`,
    ).get(chat.id, originId)
    if (row) markSeen(db, chat.id, row.ord)
  }

  private autoDownload(messageId: number): void {
    const limit = this.options.autoDownloadBytes ?? 25 * 1024 * 1024
    const rows = cached<[number], { id: number }>(
      this.options.db,
      `SELECT id FROM chat_attachments WHERE message_id = ? AND state = 'remote'`,
    ).all(messageId)
    for (const row of rows) {
      const download = this.downloadAttachment(row.id, limit).then(
        () => undefined,
        () => undefined,
      )
      this.downloads.add(download)
      void download.finally(() => this.downloads.delete(download))
    }
  }

  /** Fetch a shared file into the profile's attachment store. */
  async downloadAttachment(attachmentId: number, maxBytes = 100 * 1024 * 1024): Promise<string> {
    const db = this.options.db
    const row = cached<
      [number],
      { url: string; sha256: string | null; messageId: number; chatId: number }
    >(
      db,
      `SELECT a.url, a.sha256, a.message_id AS messageId, m.chat_id AS chatId
         FROM chat_attachments a JOIN chat_messages m ON m.id = a.message_id WHERE a.id = ?`,
    ).get(attachmentId)
    if (!row) throw new CairnError('NOT_FOUND', 'This file is no longer in the chat.')
    if (row.sha256) return row.sha256
    const config = this.options.account.config
    try {
      const { sha256, size } = await downloadToStore(
        row.url,
        this.options.attachmentsDir,
        maxBytes,
        {
          ca: config.ca,
          trustedFingerprint: config.trustedFingerprint,
        },
      )
      setAttachmentStored(db, attachmentId, sha256, size)
      this.events.emit('attachment', {
        attachmentId,
        messageId: row.messageId,
        chatId: row.chatId,
        state: 'stored',
      })
      return sha256
    } catch (error) {
      setAttachmentFailed(db, attachmentId)
      this.events.emit('attachment', {
        attachmentId,
        messageId: row.messageId,
        chatId: row.chatId,
        state: 'failed',
      })
      throw error
    }
  }

  // ---- the archive (MAM) ------------------------------------------------------------

  /**
   * Catch up from the server's archive: every message after the last one
   * stored, page by page, each page stored in one transaction with the new
   * cursor, so an interruption resumes where it stopped. On a new account
   * this is the whole archive, stored as already read.
   */
  private async catchUp(): Promise<{ fetched: number; stored: number }> {
    const db = this.options.db
    const cursor = syncState(db, this.accountId).archive_last_id
    this.firstSync = cursor === null
    let after = cursor
    let fetched = 0
    let stored = 0
    const limits = new CatchUpLimits(this.options.archiveMaxPages ?? MAX_CATCH_UP_PAGES)
    const stopped = (reason: string) =>
      process.emitWarning(`Cairn chat: the archive catch-up for ${this.own} stopped: ${reason}.`)
    const initial = this.options.initialArchive ?? 'all'
    if (cursor === null && initial !== 'all') {
      // The newest `initial` messages: pages backwards from the end, stored oldest first.
      const pages: IncomingMessage[][] = []
      let before = ''
      let newest: string | null = null
      while (fetched < initial) {
        const stop = limits.next('before', before === '' ? null : before)
        if (stop) {
          stopped(stop)
          break
        }
        const page = await this.archivePage({
          before,
          max: Math.min(this.options.archivePageSize ?? 250, initial - fetched),
        })
        newest ??= page.last
        pages.unshift(page.messages)
        fetched += page.messages.length
        if (page.complete || !page.first || page.messages.length === 0) break
        before = page.first
      }
      db.transaction(() => {
        for (const message of pages.flat()) if (this.ingest(message, 'end', true)) stored++
        if (newest) setArchiveCursor(db, this.accountId, newest)
      })()
      this.events.emit('archiveProgress', { fetched, stored })
      if (!newest) {
        this.live = true
        this.events.emit('synced', { fetched, stored })
        return { fetched, stored }
      }
      after = newest
    }
    let start: number | undefined
    for (;;) {
      const stop = limits.next('after', after)
      if (stop) {
        stopped(stop)
        break
      }
      const page = await this.archivePage({
        after,
        start,
        max: this.options.archivePageSize ?? 250,
      })
      if (page.missing) {
        // Continue from the newest message stored instead (a little overlap; duplicates are dropped).
        const newest = cached<[number], { t: number | null }>(
          db,
          'SELECT max(m.sent_at) AS t FROM chat_messages m JOIN chats c ON c.id = m.chat_id WHERE c.account_id = ?',
        ).get(this.accountId)?.t
        after = null
        start = newest ? newest - 60_000 : undefined
        continue
      }
      db.transaction(() => {
        for (const message of page.messages)
          if (this.ingest(message, 'end', this.firstSync)) stored++
        if (page.last) setArchiveCursor(db, this.accountId, page.last)
      })()
      fetched += page.messages.length
      this.events.emit('archiveProgress', { fetched, stored })
      if (page.complete || !page.last || page.messages.length === 0) break
      after = page.last
    }
    this.live = true
    this.events.emit('synced', { fetched, stored })
    return { fetched, stored }
  }

  private async archivePage(query: {
    with?: string
    to?: string
    start?: number
    after?: string | null
    before?: string | null
    max: number
  }) {
    const queryId = newId()
    const direction = query.before !== undefined && query.before !== null ? 'before' : 'after'
    const collector = new ArchivePageCollector(query.max, direction)
    this.archiveCollectors.set(queryId, collector)
    try {
      let answer: XmlElement
      try {
        answer = await this.session.iq(archiveQuery({ queryId, ...query }), 60_000)
      } catch (error) {
        const condition = (error as { condition?: string }).condition
        // A server (or room) without an archive: there is simply no history to fetch.
        if (condition === 'feature-not-implemented' || condition === 'service-unavailable')
          return { messages: [], complete: true, first: null, last: null, missing: false }
        // The id we continue from is gone (the archive expired it): say so, the caller restarts by time.
        if (condition === 'item-not-found' && (query.after || query.before))
          return { messages: [], complete: false, first: null, last: null, missing: true }
        throw error
      }
      const fin = answer.child('fin', NS.mam)
      const set = fin?.child('set', NS.rsm)
      const page = {
        messages: collector.messages(),
        complete: fin?.attrs.complete === 'true',
        first: set?.childText('first') ?? null,
        last: set?.childText('last') ?? null,
      }
      if (collector.ignored > 0)
        process.emitWarning(
          `Cairn chat: the archive of ${query.to ?? this.own} sent ${collector.ignored} more results than the ${query.max} asked for; they were ignored.`,
        )
      return { ...pageToContinueFrom(page, direction, collector.ignored), missing: false }
    } finally {
      this.archiveCollectors.delete(queryId)
    }
  }

  /**
   * Scroll back: fetch up to `count` messages older than the oldest stored
   * in this chat from the archive (the account's, or the room's).
   * Returns how many were new; 0 with `complete` once the archive's start is reached.
   */
  async loadOlder(chatId: number, count = 50): Promise<{ added: number; complete: boolean }> {
    const db = this.options.db
    const chat = getChat(db, chatId)
    if (!chat || chat.accountId !== this.accountId)
      throw new CairnError('NOT_FOUND', 'This chat no longer exists.')
    if (isArchiveComplete(db, chatId)) return { added: 0, complete: true }
    const before = oldestArchiveId(db, chatId) ?? ''
    const page = await this.archivePage(
      chat.kind === 'group'
        ? { to: chat.peer, before, max: count }
        : { with: chat.peer, before, max: count },
    )
    let added = 0
    db.transaction(() => {
      // Newest first, each placed before the oldest so far: the page keeps its order.
      for (const message of [...page.messages].reverse())
        if (this.ingest(message, 'start', true)) added++
      if (page.complete) setArchiveComplete(db, chatId)
    })()
    return { added, complete: page.complete }
  }

  // ---- presence and the roster ------------------------------------------------------

  private onPresence(stanza: XmlElement): void {
    const from = parseJid(stanza.attrs.from ?? '')
    if (!from) return
    const bare = bareJid(from)
    const type = stanza.attrs.type ?? 'available'
    if (this.rooms.onPresence(bare, from.resource, stanza, type)) return
    const db = this.options.db
    switch (type) {
      case 'subscribe':
        if (bare === this.own) return
        setIncomingRequest(db, this.accountId, bare, true)
        this.events.emit('subscriptionRequest', { jid: bare })
        return
      case 'available':
      case 'unavailable': {
        if (!from.resource) return
        const showText = stanza.childText('show')?.trim()
        const show =
          (['away', 'chat', 'dnd', 'xa'] as const).find((s) => s === showText) ?? 'online'
        this.presences.update(
          bare,
          from.resource,
          type === 'unavailable' ? null : { show, status: stanza.childText('status') ?? '' },
        )
        return
      }
      default:
        return
    }
  }

  presenceOf(jid: string): PresenceView {
    return this.presences.get(this.accountId, toBare(jid) ?? jid)
  }

  private async fetchRoster(): Promise<void> {
    const changed = await fetchRoster(this.session, this.options.db, this.accountId)
    if (changed.length > 0) this.events.emit('roster', { changed })
  }

  private onRosterPush(iq: XmlElement): null {
    const changed = applyRosterPush(iq, this.options.db, this.accountId, this.own)
    this.events.emit('roster', { changed })
    return null
  }

  /** Add a contact and ask to see their presence. */
  async addContact(jid: string, name?: string): Promise<void> {
    const bare = toBare(jid)
    if (!bare) throw new CairnError('INVALID_ARGUMENT', `"${jid}" is not a chat address.`)
    await this.session.iq(rosterSet(bare, name ?? null))
    this.session.send(presence('subscribe', bare))
  }

  /** Let a contact who asked see our presence (and ask to see theirs). */
  acceptSubscription(jid: string): void {
    const bare = toBare(jid)
    if (!bare) throw new CairnError('INVALID_ARGUMENT', `"${jid}" is not a chat address.`)
    this.session.send(presence('subscribed', bare))
    const contact = cached<[number, string], { subscription: Subscription; ask: number }>(
      this.options.db,
      'SELECT subscription, ask FROM chat_contacts WHERE account_id = ? AND jid = ?',
    ).get(this.accountId, bare)
    if (
      !contact ||
      (contact.subscription !== 'to' && contact.subscription !== 'both' && contact.ask === 0)
    )
      this.session.send(presence('subscribe', bare))
    setIncomingRequest(this.options.db, this.accountId, bare, false)
  }

  refuseSubscription(jid: string): void {
    const bare = toBare(jid)
    if (!bare) throw new CairnError('INVALID_ARGUMENT', `"${jid}" is not a chat address.`)
    this.session.send(presence('unsubscribed', bare))
    setIncomingRequest(this.options.db, this.accountId, bare, false)
  }

  async removeContact(jid: string): Promise<void> {
    const bare = toBare(jid)
    if (!bare) throw new CairnError('INVALID_ARGUMENT', `"${jid}" is not a chat address.`)
    await this.session.iq(rosterSet(bare, null, true))
  }

  // ---- group chats (XEP-0045): see rooms.ts ------------------------------------------

  /** Join a room with a nickname; history since the last stored message comes with it. */
  joinRoom(roomJid: string, nick: string): Promise<number> {
    return this.rooms.join(roomJid, nick)
  }

  leaveRoom(roomJid: string): Promise<void> {
    return this.rooms.leave(roomJid)
  }

  occupants(roomJid: string): string[] {
    return this.rooms.occupants(roomJid)
  }

  /** Change our nickname in a room (XEP-0045 §7.6). */
  changeNick(roomJid: string, nick: string): void {
    this.rooms.changeNick(roomJid, nick)
  }
}

function rosterEnableCarbons(): XmlElement {
  return elIq('set', undefined, 'enable', NS.carbons)
}

function elIq(
  type: 'get' | 'set',
  to: string | undefined,
  name: string,
  xmlns: string,
): XmlElement {
  return el('iq', { type, to }, el(name, { xmlns }))
}

/** Handle one stanza; one bad stanza must not stop the rest (the store keeps what it has). */
function skipIfBad(handle: () => unknown): void {
  try {
    handle()
  } catch (error) {
    if (!isCairnError(error))
      process.emitWarning(`Cairn chat: a stanza was skipped: ${describeError(error)}`)
  }
}
