import {
  client as opaqueClient,
  server as opaqueServer,
  ready as opaqueReady,
} from '@serenity-kit/opaque'
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify'
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Server } from 'node:net'
import type { z } from 'zod'
import {
  deleteRequest,
  loginFinishRequest,
  loginStartRequest,
  registerFinishRequest,
  registerStartRequest,
  statusRequest,
  VAULT_LABELS,
  type StatusResponse,
  type VaultErrorCode,
} from '../common/vault-protocol.js'
import { deriveKey, fromBase64Url, sealBox } from '../common/vault-crypto.js'
import { capConnectionsPerAddress, proxyTrust } from './connections.js'
import { SealError, type Sealer } from './hsm/sealer.js'
import { RateLimiter } from './rate-limit.js'
import { registrationTickets } from './registration-ticket.js'
import type { GuessSpacing, VaultStore } from './store/store.js'

export interface VaultAppOptions {
  store: VaultStore
  sealer: Sealer
  /** Fastify/pino logger settings; false for none. */
  logger?: FastifyServerOptions['logger']
  https?: { cert: Buffer; key: Buffer } | null
  limits?: { perIpPerMinute: number; loginsPerRecordPerMinute: number }
  /** Spacing between wrong passwords (see store.ts); default 3 free, then 15 minutes doubling. */
  spacing?: GuessSpacing
  /** Front ends whose X-Forwarded-For is believed (IP addresses or CIDR blocks). */
  trustedProxies?: string[]
  /** Milliseconds. */
  timeouts?: { headers: number; request: number; keepAlive: number; idle: number }
  maxConnections?: number
  maxConnectionsPerAddress?: number
  loginTtlMs?: number
  tokenTtlMs?: number
  sweepEveryMs?: number
}

const BODY_LIMIT = 16 * 1024
const DEFAULT_LIMITS = { perIpPerMinute: 120, loginsPerRecordPerMinute: 30 }
export const DEFAULT_SPACING: GuessSpacing = { free: 3, baseMs: 15 * 60_000 }
const DEFAULT_TIMEOUTS = { headers: 10_000, request: 20_000, keepAlive: 5_000, idle: 30_000 }
/** A registration (start to finish) must be done within this time. */
const REGISTRATION_TTL_MS = 5 * 60_000
/** Health checks are exempt from the per-address limit; this bounds what they cost. */
const READINESS_CACHE_MS = 1000

class VaultHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: VaultErrorCode,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message)
  }
}

const destroyedError = () =>
  new VaultHttpError(
    410,
    'record_destroyed',
    'This backup key was destroyed after too many wrong passwords.',
  )

/** A short, non-reversible tag for a record in logs (ids are not secret, but logs need not carry them). */
const tag = (id: string) => createHash('sha256').update(id).digest('hex').slice(0, 8)

/**
 * The Backup Key Vault's HTTP API (/v1). It stores, for each record, an
 * OPAQUE registration record and the backup key wrapped under a key only
 * the password holder can derive, both sealed in the HSM.
 *
 * The rule that keeps the guess limit honest: OPAQUE's per-record OPRF
 * (the one thing that lets a password be tested) is evaluated for a
 * record's id only (a) in a login start that first counted a guess, (b) in
 * the registration that creates the record, under a new id the vault
 * chooses, and (c) in a password change authorised by a verified login.
 * Every other answer that has to look like OPAQUE (an unknown or deleted
 * id) is computed under a stand-in identity that no record ever has.
 */
export async function buildVaultApp(options: VaultAppOptions): Promise<FastifyInstance> {
  const { store, sealer } = options
  const loginTtlMs = options.loginTtlMs ?? 60_000
  const tokenTtlMs = options.tokenTtlMs ?? 5 * 60_000
  const limits = options.limits ?? DEFAULT_LIMITS
  const spacing = options.spacing ?? DEFAULT_SPACING
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS
  const perIp = new RateLimiter(limits.perIpPerMinute)
  const perRecord = new RateLimiter(limits.loginsPerRecordPerMinute)
  const trusted = proxyTrust(options.trustedProxies ?? [])

  await opaqueReady
  await store.migrate()
  // One OPAQUE server setup for every node, stored sealed; the first node to start makes it.
  const setupContext = 'config:opaque-server-setup'
  const serverSetup = sealer
    .unseal(
      await store.configValue(
        'opaque-server-setup',
        sealer.seal(Buffer.from(opaqueServer.createSetup()), setupContext),
      ),
      setupContext,
    )
    .toString()
  // A well-formed login request, to check registration records with OPAQUE's own parser.
  const probeLoginRequest = opaqueClient.startLogin({ password: 'probe' }).startLoginRequest

  // Node checks header and request deadlines on a timer (30 s by default): tick often enough.
  const serverTimeouts = {
    headersTimeout: timeouts.headers,
    requestTimeout: timeouts.request,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, timeouts.headers / 4)),
  }
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    logger: options.logger ?? false,
    ...(options.https
      ? { https: { ...options.https, ...serverTimeouts } }
      : { http: serverTimeouts }),
    requestTimeout: timeouts.request,
    keepAliveTimeout: timeouts.keepAlive,
    connectionTimeout: timeouts.idle,
    trustProxy: (address: string) => trusted(address),
    // Fastify's own request logs are off; the onResponse hook logs method, route and status
    // only: never bodies, headers or query strings.
    logController: new LogController({ disableRequestLogging: true }),
  }) as unknown as FastifyInstance
  const server = app.server as unknown as Server & { headersTimeout: number }
  server.headersTimeout = timeouts.headers
  server.maxConnections = options.maxConnections ?? 1024
  capConnectionsPerAddress(server, options.maxConnectionsPerAddress ?? 64, trusted)

  const unlimited = new Set(['/healthz', '/readyz'])
  app.addHook('onRequest', async (request) => {
    if (unlimited.has(request.routeOptions.url ?? '')) return
    if (!perIp.take(request.ip))
      throw new VaultHttpError(
        429,
        'rate_limited',
        'Too many requests from this address; try again in a minute.',
      )
  })
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unknown',
        status: reply.statusCode,
        ms: Number(reply.elapsedTime.toFixed(3)),
      },
      'request',
    )
  })
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof VaultHttpError) {
      // A refused client gets no kept-alive connection to hammer on.
      if (error.status === 429) reply.header('connection', 'close')
      if (error.retryAfterSeconds !== undefined)
        reply.header('retry-after', String(error.retryAfterSeconds))
      return reply.status(error.status).send({
        error: error.code,
        message: error.message,
        ...(error.retryAfterSeconds !== undefined
          ? { retryAfterSeconds: error.retryAfterSeconds }
          : {}),
      })
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply
        .header('connection', 'close')
        .status(413)
        .send({ error: 'invalid_request', message: 'The request is too large.' })
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply
        .status(error.statusCode)
        .send({ error: 'invalid_request', message: 'The request is malformed.' })
    }
    request.log.error(
      { err: { type: error.name, code: error.code } },
      error instanceof SealError ? 'sealed data failed to open' : 'internal error',
    )
    return reply
      .status(500)
      .send({ error: 'internal', message: 'The vault failed to answer; try again later.' })
  })

  const parse = <T extends z.ZodTypeAny>(schema: T, request: FastifyRequest): z.infer<T> => {
    const result = schema.safeParse(request.body)
    if (!result.success) {
      const issue = result.error.issues[0]
      throw new VaultHttpError(
        400,
        'invalid_request',
        `Invalid request: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'rejected'}`,
      )
    }
    return result.data
  }
  const opaque = <T>(action: () => T): T => {
    try {
      return action()
    } catch {
      throw new VaultHttpError(400, 'invalid_request', 'The OPAQUE message is malformed.')
    }
  }
  const recordContext = (id: string) => `record:${id}`
  const openRecord = (id: string, sealed: Buffer) =>
    JSON.parse(sealer.unseal(sealed, recordContext(id)).toString()) as {
      registrationRecord: string
      wrappedKey: string
    }
  /** The OPRF identity of answers that must look like OPAQUE without testing anyone's password. */
  const standIn = (id: string) => `stand-in:${id}`

  const tickets = registrationTickets(sealer, REGISTRATION_TTL_MS)
  const noRegistration = () =>
    new VaultHttpError(
      403,
      'not_authorized',
      'This registration is unknown or expired; start the registration again.',
    )

  let readiness: { at: number; ok: boolean } = { at: 0, ok: false }
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_request, reply: FastifyReply) => {
    if (Date.now() - readiness.at > READINESS_CACHE_MS) {
      let ok = true
      try {
        await store.ping()
        sealer.unseal(sealer.seal(Buffer.from('probe'), 'probe'), 'probe')
      } catch {
        ok = false
      }
      readiness = { at: Date.now(), ok }
    }
    if (readiness.ok) return { status: 'ready', store: store.kind, hsm: sealer.kind }
    return reply
      .status(503)
      .send({ error: 'unavailable', message: 'The vault cannot reach its database or HSM.' })
  })

  app.post('/v1/register/start', async (request) => {
    const body = parse(registerStartRequest, request)
    let id: string
    if (body.recordId !== undefined && body.authToken !== undefined) {
      // A password change: only right after a verified login to this very record. A destroyed
      // record says so, as a login does; a live and an unknown id get the same refusal.
      const state = await store.recordStatus(body.recordId)
      if (state?.kind === 'destroyed') throw destroyedError()
      if (!(await store.peekToken(hashToken(body.authToken), body.recordId, Date.now())))
        throw new VaultHttpError(
          403,
          'not_authorized',
          'Log in again to change the password (the authorisation expired or was used).',
        )
      id = body.recordId
    } else {
      // A new record: the vault picks its id, so no one can aim a registration at a record.
      id = randomBytes(16).toString('hex')
    }
    // The ticket's expiry is read by whichever node gets the finish: one clock for both.
    const { registrationResponse } = opaque(() =>
      opaqueServer.createRegistrationResponse({
        serverSetup,
        userIdentifier: id,
        registrationRequest: body.registrationRequest,
      }),
    )
    return {
      recordId: id,
      ticket: tickets.issue(id, body.recordId !== undefined, await store.now()),
      registrationResponse,
    }
  })

  app.post('/v1/register/finish', async (request, reply) => {
    const body = parse(registerFinishRequest, request)
    const ticket = tickets.read(body.recordId, body.ticket, await store.now())
    if (!ticket) throw noRegistration()
    // OPAQUE's own parser checks the record (a valid client public key, the right sizes).
    opaque(() =>
      opaqueServer.startLogin({
        serverSetup,
        userIdentifier: standIn(body.recordId),
        registrationRecord: body.registrationRecord,
        startLoginRequest: probeLoginRequest,
      }),
    )
    const sealed = sealer.seal(
      Buffer.from(
        JSON.stringify({
          registrationRecord: body.registrationRecord,
          wrappedKey: body.wrappedKey,
        }),
      ),
      recordContext(body.recordId),
    )
    const statusHash = hashToken(body.statusToken)
    const now = Date.now()
    if (ticket.change) {
      const state = await store.recordStatus(body.recordId)
      if (state?.kind === 'destroyed') throw destroyedError()
      if (
        !body.authToken ||
        !(await store.takeToken(hashToken(body.authToken), body.recordId, now))
      )
        throw new VaultHttpError(
          403,
          'not_authorized',
          'Log in again to change the password (the authorisation expired or was used).',
        )
      if (!(await store.replaceRecord(body.recordId, sealed, statusHash, now))) {
        const gone = await store.recordStatus(body.recordId)
        throw gone?.kind === 'destroyed'
          ? destroyedError()
          : new VaultHttpError(410, 'record_destroyed', 'This vault record no longer exists.')
      }
      request.log.info({ record: tag(body.recordId) }, 'record replaced (password changed)')
      return reply.status(200).send({ status: 'replaced', recordId: body.recordId })
    }
    const outcome = await store.insertRecord({
      id: body.recordId,
      sealed,
      statusHash,
      maxGuesses: body.maxGuesses,
      now,
    })
    if (outcome === 'destroyed') throw destroyedError()
    if (outcome !== 'inserted') {
      // Only the holder of this registration's ticket gets here: it finished already.
      throw new VaultHttpError(
        409,
        'record_exists',
        'This registration was finished already; start a new one.',
      )
    }
    request.log.info(
      { record: tag(body.recordId), maxGuesses: body.maxGuesses },
      'record registered',
    )
    return reply.status(201).send({ status: 'registered', recordId: body.recordId })
  })

  app.post('/v1/login/start', async (request) => {
    const body = parse(loginStartRequest, request)
    if (!perRecord.take(body.recordId)) {
      throw new VaultHttpError(
        429,
        'rate_limited',
        'Too many login attempts for this record; wait a minute.',
      )
    }
    // The guess is counted (durably) before anything is answered; too early, nothing is counted.
    const outcome = await store.countGuess(body.recordId, Date.now(), spacing)
    if (outcome.kind === 'destroyed') {
      request.log.warn({ record: tag(body.recordId) }, 'login for a destroyed record')
      throw destroyedError()
    }
    if (outcome.kind === 'wait') {
      const seconds = Math.max(1, Math.ceil((outcome.retryAt - outcome.now) / 1000))
      request.log.info({ record: tag(body.recordId), seconds }, 'guess refused: too early')
      throw new VaultHttpError(
        429,
        'try_later',
        `Too many wrong passwords in a row: this record accepts its next attempt at ${new Date(Date.now() + seconds * 1000).toISOString()}. This attempt was not counted.`,
        seconds,
      )
    }
    // Unknown and deleted ids get OPAQUE's stand-in record under a stand-in identity: to the
    // client it looks like a wrong password, and it tests no password against any record.
    const counted = outcome.kind === 'counted'
    const { serverLoginState, loginResponse } = opaque(() =>
      opaqueServer.startLogin({
        serverSetup,
        userIdentifier: counted ? body.recordId : standIn(body.recordId),
        registrationRecord: counted
          ? openRecord(body.recordId, outcome.record.sealed).registrationRecord
          : null,
        startLoginRequest: body.startLoginRequest,
      }),
    )
    const loginId = randomBytes(16).toString('base64url')
    await store.saveLogin(
      loginId,
      {
        recordId: counted ? body.recordId : null,
        sealedState: sealer.seal(Buffer.from(serverLoginState), `login:${loginId}`),
      },
      loginTtlMs,
      Date.now(),
    )
    if (counted)
      request.log.info(
        { record: tag(body.recordId), guesses: outcome.record.guesses },
        'guess counted',
      )
    return { loginId, loginResponse }
  })

  app.post('/v1/login/finish', async (request) => {
    const body = parse(loginFinishRequest, request)
    const pending = await store.takeLogin(body.loginId, Date.now())
    if (!pending)
      throw new VaultHttpError(
        401,
        'login_expired',
        'This login is unknown, finished or expired; start again.',
      )
    const serverLoginState = sealer.unseal(pending.sealedState, `login:${body.loginId}`).toString()
    let sessionKey: string
    try {
      sessionKey = opaqueServer.finishLogin({
        serverLoginState,
        finishLoginRequest: body.finishLoginRequest,
      }).sessionKey
    } catch {
      throw new VaultHttpError(401, 'login_failed', 'The login did not verify.')
    }
    if (pending.recordId === null)
      throw new VaultHttpError(401, 'login_failed', 'The login did not verify.')
    const record = await store.resetGuesses(pending.recordId)
    if (!record) throw destroyedError()
    const { wrappedKey } = openRecord(record.id, record.sealed)
    const responseKey = deriveKey(fromBase64Url(sessionKey), body.loginId, VAULT_LABELS.response)
    const authToken = randomBytes(32).toString('base64url')
    await store.saveToken(hashToken(authToken), record.id, tokenTtlMs, Date.now())
    request.log.info({ record: tag(record.id) }, 'login verified; guesses reset')
    return {
      sealedKey: sealBox(
        responseKey,
        Buffer.from(wrappedKey, 'base64'),
        `response:${record.id}`,
      ).toString('base64'),
      authToken,
    }
  })

  app.post('/v1/delete', async (request, reply) => {
    const body = parse(deleteRequest, request)
    if (!(await store.takeToken(hashToken(body.authToken), body.recordId, Date.now()))) {
      throw new VaultHttpError(
        403,
        'not_authorized',
        'Log in again to delete this record (the authorisation expired or was used).',
      )
    }
    await store.deleteRecord(body.recordId, Date.now())
    request.log.info({ record: tag(body.recordId) }, 'record deleted by its owner')
    return reply.status(200).send({ status: 'deleted' })
  })

  // Spends no guess. Only the holder of the record's status token (derived from the backup key)
  // learns its state; everyone else hears "unknown" for every id.
  app.post('/v1/status', async (request): Promise<StatusResponse> => {
    const body = parse(statusRequest, request)
    const state = await store.recordStatus(body.recordId)
    const presented = Buffer.from(hashToken(body.statusToken), 'hex')
    const stored = Buffer.from(state?.statusHash ?? '', 'hex')
    if (!state || stored.length !== presented.length || !timingSafeEqual(stored, presented))
      return { state: 'unknown' }
    if (state.kind !== 'live') return { state: state.kind }
    return {
      state: 'active',
      guessesUsed: state.guesses,
      maxGuesses: state.maxGuesses,
      nextGuessAt:
        state.nextAttemptAt !== null && state.nextAttemptAt > state.now
          ? new Date(state.nextAttemptAt).toISOString()
          : null,
    }
  })

  const sweeper = setInterval(() => {
    store
      .sweep(Date.now(), loginTtlMs)
      .then(
        (destroyed) =>
          destroyed > 0 && app.log.warn({ destroyed }, 'records destroyed after their last guess'),
      )
      .catch((error: Error) => app.log.error({ err: { type: error.name } }, 'sweep failed'))
  }, options.sweepEveryMs ?? 30_000)
  sweeper.unref()
  app.addHook('onClose', async () => clearInterval(sweeper))
  return app
}

/** Tokens are stored hashed: the database alone cannot be used to change a password. */
function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
