import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { Emitter } from '../../shared/emitter.js'
import { CairnError, describeError, isCairnError } from '../../shared/errors.js'
import { bareJid, parseJid, type Jid } from './jid.js'
import { NS } from './namespaces.js'
import { chooseMechanism } from './sasl.js'
import { openTcp, startTls, type Endpoint, type TlsTrust } from './transport.js'
import { el, type XmlElement } from './xml.js'
import { MAX_STANZA_CHARS, XmlStream } from './xml-stream.js'

export interface SessionOptions {
  jid: Jid
  password: string
  /** This device's resource; kept across reconnects so a resume finds its session. */
  resource: string
  endpoint: Endpoint
  trust: TlsTrust
  /** Each negotiation step and each IQ waits this long (ms). */
  timeoutMs?: number
  /** Seconds of silence after which the link is probed, and dropped if the probe goes unanswered. */
  keepaliveMs?: number
  maxStanzaChars?: number
}

export interface SessionEvents {
  [name: string]: unknown
  /** An incoming stanza (message, presence, or an IQ nobody waited for). */
  stanza: XmlElement
  /** Negotiation finished. `resumed`: the previous stream continued (XEP-0198), nothing was lost. */
  online: { resumed: boolean; jid: string }
  /** The link is gone; `error` says why (null after close()). */
  offline: { error: CairnError | null }
  /** The server confirmed it handled this stanza (XEP-0198 <a/>). */
  acked: XmlElement
}

type Phase = 'offline' | 'negotiating' | 'online' | 'closing'
type IqHandler = (iq: XmlElement) => XmlElement | null | undefined

interface PendingIq {
  to: string | null
  resolve: (result: XmlElement) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
}

/**
 * One XMPP client session (RFC 6120) over TLS: STARTTLS or direct TLS
 * (required, verified), SASL, resource binding, and stream management
 * (XEP-0198) whose state survives a dropped connection, so that the next
 * connect() resumes the stream: the server resends what this side had not
 * acknowledged, and this side resends what the server had not.
 *
 * Everything from the socket is hostile: malformed XML, a stanza over the
 * size limit, a stream error or a stream closed mid-stanza ends this
 * connection with a typed error (`offline`), never the process.
 */
export class XmppSession {
  readonly events = new Emitter<SessionEvents>()
  private phase: Phase = 'offline'
  private socket: Socket | TLSSocket | null = null
  private stream: XmlStream | null = null
  private secure = false
  private boundJid = ''
  private waiting: { resolve: (e: XmlElement) => void; reject: (e: Error) => void } | null = null
  private early: XmlElement[] = []
  private failure: CairnError | null = null
  private readonly pendingIqs = new Map<string, PendingIq>()
  private readonly iqHandlers = new Map<string, IqHandler>()
  private lastInbound = 0
  private probeSentAt = 0
  private keepalive: NodeJS.Timeout | null = null
  private ackRequest: NodeJS.Timeout | null = null
  // Stream management: survives reconnects until a clean close or a failed resume.
  private sm = { id: '', enabled: false, inbound: 0, outboundAcked: 0, unacked: [] as XmlElement[] }
  private readonly timeoutMs: number
  private readonly keepaliveMs: number

  constructor(private readonly options: SessionOptions) {
    this.timeoutMs = options.timeoutMs ?? 20_000
    this.keepaliveMs = options.keepaliveMs ?? 60_000
    this.onIq('get', NS.ping, 'ping', () => null)
  }

  get online(): boolean {
    return this.phase === 'online'
  }

  get jid(): string {
    return this.boundJid
  }

  get bare(): string {
    return bareJid(this.options.jid)
  }

  /** Stream management is on: the server acknowledges stanzas, and a drop can be resumed. */
  get streamManagement(): boolean {
    return this.sm.enabled
  }

  /** Where the next connect() goes (SRV discovery may offer several servers). */
  setEndpoint(endpoint: Endpoint): void {
    this.options.endpoint = endpoint
  }

  /** Answer IQs of this type whose payload is `name` in `xmlns` (the handler returns the result's payload). */
  onIq(type: 'get' | 'set', xmlns: string, name: string, handler: IqHandler): void {
    this.iqHandlers.set(`${type} ${xmlns} ${name}`, handler)
  }

  async connect(): Promise<{ resumed: boolean }> {
    if (this.phase !== 'offline')
      throw new CairnError('CHAT_PROTOCOL', 'This chat session is already connected.')
    this.phase = 'negotiating'
    this.failure = null
    try {
      const resumed = await this.negotiate()
      this.phase = 'online'
      this.lastInbound = Date.now()
      this.keepalive = setInterval(() => this.checkLink(), Math.min(this.keepaliveMs / 2, 15_000))
      this.keepalive.unref()
      this.events.emit('online', { resumed, jid: this.boundJid })
      // Stanzas that arrived with the last negotiation step (a resume replays at once).
      for (const element of this.early.splice(0)) this.onElement(element)
      return { resumed }
    } catch (error) {
      const failure = isCairnError(error)
        ? error
        : new CairnError(
            'CHAT_PROTOCOL',
            `The chat server broke off the login: ${describeError(error)}`,
          )
      this.teardown(failure, false)
      throw failure
    }
  }

  /** Send a stanza. Counted for stream management; throws when not connected. */
  send(stanza: XmlElement): void {
    if (this.phase !== 'online') {
      throw new CairnError(
        'CHAT_NOT_CONNECTED',
        'Not connected to the chat server; the message stays queued.',
      )
    }
    if (this.sm.enabled && isStanza(stanza)) {
      this.sm.unacked.push(stanza)
      this.scheduleAckRequest()
    }
    this.write(stanza.toString())
  }

  /** Send an IQ and wait for its result; an <error/> answer rejects with CHAT_REJECTED. */
  iq(stanza: XmlElement, timeoutMs = this.timeoutMs): Promise<XmlElement> {
    const id = stanza.attrs.id ?? (stanza.attrs.id = newId())
    const to = stanza.attrs.to ?? null
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingIqs.delete(id)
        reject(
          new CairnError(
            'CHAT_TIMEOUT',
            `The chat server did not answer in ${Math.round(timeoutMs / 1000)} s.`,
          ),
        )
      }, timeoutMs)
      this.pendingIqs.set(id, { to, resolve, reject, timer })
      try {
        this.send(stanza)
      } catch (error) {
        clearTimeout(timer)
        this.pendingIqs.delete(id)
        reject(error as Error)
      }
    })
  }

  /**
   * Resolves once the server has handled everything sent so far: an SM
   * acknowledgement covering it, or (without SM) the answer to a ping,
   * which the server handles after everything before it.
   */
  async flush(): Promise<void> {
    if (!this.sm.enabled) {
      await this.iq(
        el('iq', { type: 'get', to: this.options.jid.domain }, el('ping', { xmlns: NS.ping })),
      )
      return
    }
    if (this.sm.unacked.length === 0) return
    const last = this.sm.unacked[this.sm.unacked.length - 1] as XmlElement
    await new Promise<void>((resolve, reject) => {
      const offAck = this.events.on('acked', (stanza) => {
        if (stanza === last) done()
      })
      const offOffline = this.events.on('offline', ({ error }) => {
        done(
          error ??
            new CairnError(
              'CHAT_NOT_CONNECTED',
              'The connection closed before the server confirmed.',
            ),
        )
      })
      const done = (error?: Error) => {
        offAck()
        offOffline()
        if (error) reject(error)
        else resolve()
      }
      this.write(el('r', { xmlns: NS.sm }).toString())
    })
  }

  /** Close the stream cleanly: the server ends the session (no resume). */
  async close(): Promise<void> {
    if (this.phase === 'offline') {
      this.resetStreamManagement()
      return
    }
    const socket = this.socket
    if (this.phase === 'online') {
      this.phase = 'closing'
      if (this.sm.enabled) this.write(el('a', { xmlns: NS.sm, h: this.sm.inbound }).toString())
      this.write('</stream:stream>')
      if (socket) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2000)
          socket.once('close', () => {
            clearTimeout(timer)
            resolve()
          })
          socket.end()
        })
      }
    }
    this.resetStreamManagement()
    this.teardown(null, true)
  }

  /** Drop the connection without a goodbye, keeping stream-management state for a resume (tests, sleep). */
  drop(): void {
    this.teardown(new CairnError('CHAT_UNREACHABLE', 'The connection was dropped.'), true)
  }

  // ---- negotiation -------------------------------------------------------

  private async negotiate(): Promise<boolean> {
    const { endpoint, trust, jid } = this.options
    const domain = jid.domain
    if (endpoint.directTls) {
      this.attach(await startTls({ endpoint, servername: domain, trust }, this.timeoutMs), true)
    } else {
      this.attach(await openTcp(endpoint, this.timeoutMs), false)
    }
    let features = await this.openStream()
    if (!this.secure) {
      if (!features.child('starttls', NS.tls)) {
        throw new CairnError(
          'CHAT_TLS_REQUIRED',
          `The chat server ${endpoint.host} does not offer encryption (STARTTLS). Cairn never sends a password or messages unencrypted.`,
        )
      }
      this.write(el('starttls', { xmlns: NS.tls }).toString())
      const answer = await this.next()
      if (!answer.is('proceed', NS.tls))
        throw new CairnError(
          'CHAT_TLS_REQUIRED',
          `The chat server ${endpoint.host} refused to start encryption.`,
        )
      const plain = this.socket as Socket
      plain.removeAllListeners('data')
      this.attach(
        await startTls({ socket: plain, endpoint, servername: domain, trust }, this.timeoutMs),
        true,
      )
      features = await this.openStream()
    }
    await this.authenticate(features)
    features = await this.openStream()
    const canResume = this.sm.id !== '' && features.child('sm', NS.sm) !== undefined
    if (canResume) {
      this.write(el('resume', { xmlns: NS.sm, h: this.sm.inbound, previd: this.sm.id }).toString())
      const answer = await this.next()
      if (answer.is('resumed', NS.sm)) {
        this.sm.enabled = true
        this.acknowledge(Number(answer.attrs.h))
        // What the server never confirmed goes again, in order; the peer drops doubles by id.
        const again = this.sm.unacked
        this.sm.unacked = []
        this.phase = 'online'
        for (const stanza of again) this.send(stanza)
        this.phase = 'negotiating'
        return true
      }
      // The server forgot the session (a restart, a timeout): start afresh.
      this.resetStreamManagement()
    } else if (this.sm.id) {
      this.resetStreamManagement()
    }
    await this.bind(features)
    if (features.child('sm', NS.sm)) {
      this.write(el('enable', { xmlns: NS.sm, resume: 'true' }).toString())
      const answer = await this.next()
      if (answer.is('enabled', NS.sm)) {
        this.sm.enabled = true
        this.sm.id =
          answer.attrs.resume === 'true' || answer.attrs.resume === '1'
            ? (answer.attrs.id ?? '')
            : ''
        this.sm.inbound = 0
        this.sm.outboundAcked = 0
        this.sm.unacked = []
      }
    }
    return false
  }

  private async authenticate(features: XmlElement): Promise<void> {
    const offered = (features.child('mechanisms', NS.sasl)?.elements('mechanism') ?? []).map((m) =>
      m.text().trim(),
    )
    const { jid, password, endpoint } = this.options
    const mechanism = chooseMechanism(offered, jid.local, password)
    if (!mechanism) {
      throw new CairnError(
        'CHAT_AUTH_FAILED',
        `The chat server ${endpoint.host} offers no login method Cairn supports (it offers: ${offered.join(', ') || 'none'}).`,
      )
    }
    const b64 = (text: string) => (text === '' ? '=' : Buffer.from(text, 'utf8').toString('base64'))
    const unb64 = (text: string) => Buffer.from(text.trim(), 'base64').toString('utf8')
    this.write(
      el('auth', { xmlns: NS.sasl, mechanism: mechanism.name }, b64(mechanism.start())).toString(),
    )
    for (let round = 0; round < 5; round++) {
      const answer = await this.next()
      if (answer.is('challenge', NS.sasl)) {
        let response: string
        try {
          response = mechanism.challenge(unb64(answer.text()))
        } catch (error) {
          throw new CairnError(
            'CHAT_AUTH_FAILED',
            `Login to ${endpoint.host} failed: ${describeError(error)}.`,
          )
        }
        this.write(el('response', { xmlns: NS.sasl }, b64(response)).toString())
        continue
      }
      if (answer.is('success', NS.sasl)) {
        try {
          mechanism.finish(unb64(answer.text()))
        } catch (error) {
          throw new CairnError(
            'CHAT_AUTH_FAILED',
            `Login to ${endpoint.host} failed: ${describeError(error)}.`,
          )
        }
        return
      }
      if (answer.is('failure', NS.sasl)) {
        const condition = answer.elements()[0]?.name ?? 'failure'
        const text = answer.childText('text')
        throw new CairnError(
          'CHAT_AUTH_FAILED',
          `The chat server refused the login for ${bareJid(jid)} (${condition}${text ? `: ${text.slice(0, 200)}` : ''}). Check the address and password.`,
        )
      }
      throw new CairnError('CHAT_PROTOCOL', `Unexpected <${answer.name}/> during login.`)
    }
    throw new CairnError('CHAT_PROTOCOL', 'The login did not finish.')
  }

  private async bind(features: XmlElement): Promise<void> {
    if (!features.child('bind', NS.bind))
      throw new CairnError('CHAT_PROTOCOL', 'The chat server offers no resource binding.')
    const id = newId()
    this.write(
      el(
        'iq',
        { type: 'set', id },
        el('bind', { xmlns: NS.bind }, el('resource', {}, this.options.resource)),
      ).toString(),
    )
    const answer = await this.next()
    if (!answer.is('iq') || answer.attrs.id !== id || answer.attrs.type !== 'result')
      throw new CairnError('CHAT_PROTOCOL', 'The chat server refused to bind a resource.')
    const bound = parseJid(answer.child('bind', NS.bind)?.childText('jid') ?? '')
    if (!bound || bareJid(bound) !== bareJid(this.options.jid))
      throw new CairnError(
        'CHAT_PROTOCOL',
        'The chat server bound an address that is not this account.',
      )
    this.boundJid = `${bareJid(bound)}/${bound.resource}`
  }

  /** Send the stream header and wait for the peer's header and its <features/>. */
  private async openStream(): Promise<XmlElement> {
    const header = el('stream:stream', {
      to: this.options.jid.domain,
      ...(this.secure ? { from: bareJid(this.options.jid) } : {}),
      version: '1.0',
      'xml:lang': 'en',
      xmlns: NS.client,
      'xmlns:stream': NS.stream,
    })
    this.newParser()
    this.write(`<?xml version='1.0'?>${header.toString().slice(0, -2)}>`)
    const features = await this.next()
    if (!features.is('features', NS.stream))
      throw new CairnError('CHAT_PROTOCOL', `Expected stream features, got <${features.name}/>.`)
    return features
  }

  private attach(socket: Socket | TLSSocket, secure: boolean): void {
    this.socket = socket
    this.secure = secure
    socket.on('data', (chunk: Buffer) => {
      this.lastInbound = Date.now()
      this.probeSentAt = 0
      this.stream?.write(chunk)
    })
    socket.on('error', () => undefined) // 'close' follows and reports
    socket.on('close', () => {
      if (this.socket !== socket) return
      this.teardown(
        this.phase === 'closing'
          ? null
          : new CairnError('CHAT_UNREACHABLE', 'The connection to the chat server was lost.'),
        true,
      )
    })
  }

  private newParser(): void {
    this.early = []
    this.stream = new XmlStream(
      {
        open: () => undefined,
        element: (element) => this.onElement(element),
        close: () => {
          this.teardown(
            this.phase === 'closing'
              ? null
              : new CairnError('CHAT_UNREACHABLE', 'The chat server closed the stream.'),
            true,
          )
        },
        error: (error) => {
          this.write(
            `<stream:error><not-well-formed xmlns='${NS.streams}'/></stream:error></stream:stream>`,
          )
          this.teardown(
            new CairnError(
              'CHAT_PROTOCOL',
              `The chat server sent malformed data (${error.message}); reconnecting.`,
            ),
            true,
          )
        },
      },
      this.options.maxStanzaChars ?? MAX_STANZA_CHARS,
    )
  }

  /** The next top-level element during negotiation. */
  private next(): Promise<XmlElement> {
    const queued = this.early.shift()
    if (queued) return Promise.resolve(queued)
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null
        reject(
          new CairnError(
            'CHAT_TIMEOUT',
            `The chat server ${this.options.endpoint.host} stopped answering during login.`,
          ),
        )
      }, this.timeoutMs)
      this.waiting = {
        resolve: (e) => {
          clearTimeout(timer)
          resolve(e)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      }
    })
  }

  // ---- the established stream ---------------------------------------------

  private onElement(element: XmlElement): void {
    if (element.is('error', NS.stream)) {
      const condition =
        element.elements().find((e) => e.xmlns === NS.streams)?.name ?? 'undefined-condition'
      const text = element.childText('text', NS.streams)
      this.teardown(
        new CairnError(
          condition === 'conflict' ? 'CHAT_PROTOCOL' : 'CHAT_UNREACHABLE',
          condition === 'conflict'
            ? 'Another login with the same device name replaced this one.'
            : `The chat server ended the stream (${condition}${text ? `: ${text.slice(0, 200)}` : ''}).`,
        ),
        true,
      )
      return
    }
    if (this.phase !== 'online') {
      if (this.waiting) {
        const waiting = this.waiting
        this.waiting = null
        waiting.resolve(element)
      } else this.early.push(element)
      return
    }
    if (element.xmlns === NS.sm) {
      if (element.name === 'r') this.write(el('a', { xmlns: NS.sm, h: this.sm.inbound }).toString())
      else if (element.name === 'a') this.acknowledge(Number(element.attrs.h))
      return
    }
    if (!isStanza(element)) return
    if (this.sm.enabled) this.sm.inbound = (this.sm.inbound + 1) % 2 ** 32
    if (element.name === 'iq' && this.handleIq(element)) return
    try {
      this.events.emit('stanza', element)
    } catch {
      // A listener's bug must not take the connection down; the stanza is counted as handled.
    }
  }

  private handleIq(iq: XmlElement): boolean {
    const type = iq.attrs.type
    if (type === 'result' || type === 'error') {
      const id = iq.attrs.id ?? ''
      const pending = this.pendingIqs.get(id)
      if (!pending) return true
      // Only the entity asked may answer (else anyone could forge a roster or an archive).
      const from = iq.attrs.from
      const fromOk =
        pending.to === null
          ? from === undefined ||
            from === this.bare ||
            from === this.options.jid.domain ||
            from === this.boundJid
          : from === pending.to || (from !== undefined && sameJid(from, pending.to))
      if (!fromOk) return true
      this.pendingIqs.delete(id)
      clearTimeout(pending.timer)
      if (type === 'result') pending.resolve(iq)
      else pending.reject(iqError(iq))
      return true
    }
    if (type !== 'get' && type !== 'set') return true
    const payload = iq.elements()[0]
    const handler = payload && this.iqHandlers.get(`${type} ${payload.xmlns} ${payload.name}`)
    const reply = el('iq', { type: 'result', id: iq.attrs.id, to: iq.attrs.from })
    if (!handler) {
      reply.attrs.type = 'error'
      reply.append(
        el('error', { type: 'cancel' }, el('service-unavailable', { xmlns: NS.stanzas })),
      )
    } else {
      try {
        const result = handler(iq)
        if (result) reply.append(result)
      } catch {
        reply.attrs.type = 'error'
        reply.append(el('error', { type: 'cancel' }, el('bad-request', { xmlns: NS.stanzas })))
      }
    }
    if (this.phase === 'online') this.send(reply)
    return true
  }

  private acknowledge(h: number): void {
    if (!Number.isFinite(h)) return
    const count = (h - this.sm.outboundAcked + 2 ** 32) % 2 ** 32
    if (count > this.sm.unacked.length) return // more than was sent: ignore a confused server
    const acked = this.sm.unacked.splice(0, count)
    this.sm.outboundAcked = h
    for (const stanza of acked) this.events.emit('acked', stanza)
  }

  private scheduleAckRequest(): void {
    if (this.ackRequest) return
    this.ackRequest = setTimeout(() => {
      this.ackRequest = null
      if (this.phase === 'online' && this.sm.enabled)
        this.write(el('r', { xmlns: NS.sm }).toString())
    }, 100)
  }

  private checkLink(): void {
    if (this.phase !== 'online') return
    const now = Date.now()
    if (this.probeSentAt && now - this.probeSentAt > this.keepaliveMs / 2) {
      this.teardown(new CairnError('CHAT_UNREACHABLE', 'The chat server stopped answering.'), true)
      return
    }
    if (!this.probeSentAt && now - this.lastInbound > this.keepaliveMs) {
      this.probeSentAt = now
      if (this.sm.enabled) this.write(el('r', { xmlns: NS.sm }).toString())
      else void this.flush().catch(() => undefined)
    }
  }

  private write(data: string): void {
    const socket = this.socket
    if (!socket || socket.destroyed) return
    socket.write(data)
  }

  private resetStreamManagement(): void {
    this.sm = { id: '', enabled: false, inbound: 0, outboundAcked: 0, unacked: [] }
  }

  /** End this connection (idempotent). SM state is kept for a resume unless close() reset it. */
  private teardown(error: CairnError | null, announce: boolean): void {
    if (this.phase === 'offline' && !this.socket) return
    const wasOnline = this.phase === 'online' || this.phase === 'closing'
    this.phase = 'offline'
    this.failure = error
    if (this.keepalive) clearInterval(this.keepalive)
    if (this.ackRequest) clearTimeout(this.ackRequest)
    this.keepalive = null
    this.ackRequest = null
    const socket = this.socket
    this.socket = null
    this.stream = null
    socket?.destroy()
    this.sm.enabled = false
    if (this.waiting) {
      const waiting = this.waiting
      this.waiting = null
      waiting.reject(error ?? new CairnError('CHAT_NOT_CONNECTED', 'The connection closed.'))
    }
    for (const [id, pending] of this.pendingIqs) {
      clearTimeout(pending.timer)
      pending.reject(error ?? new CairnError('CHAT_NOT_CONNECTED', 'The connection closed.'))
      this.pendingIqs.delete(id)
    }
    if (announce && wasOnline) this.events.emit('offline', { error })
  }
}

function isStanza(element: XmlElement): boolean {
  return element.name === 'message' || element.name === 'presence' || element.name === 'iq'
}

function sameJid(a: string, b: string): boolean {
  const x = parseJid(a)
  const y = parseJid(b)
  return !!x && !!y && bareJid(x) === bareJid(y) && x.resource === y.resource
}

export function iqError(iq: XmlElement): CairnError {
  const error = iq.child('error')
  const condition =
    error?.elements().find((e) => e.xmlns === NS.stanzas)?.name ?? 'undefined-condition'
  const text = error?.childText('text', NS.stanzas)
  const failure = new CairnError(
    'CHAT_REJECTED',
    `The chat server refused the request (${condition}${text ? `: ${text.slice(0, 200)}` : ''}).`,
  )
  return Object.assign(failure, { condition })
}

export function newId(): string {
  return randomBytes(12).toString('base64url')
}
