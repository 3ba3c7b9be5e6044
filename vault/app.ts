import { server as opaqueServer, ready as opaqueReady } from '@serenity-kit/opaque'
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify'
import { createHash, randomBytes } from 'node:crypto'
import type { z } from 'zod'
import {
  deleteRequest,
  loginFinishRequest,
  loginStartRequest,
  registerFinishRequest,
  registerStartRequest,
  VAULT_LABELS,
  type VaultErrorCode,
} from '../common/vault-protocol.js'
import { deriveKey, fromBase64Url, sealBox } from '../common/vault-crypto.js'
import { SealError, type Sealer } from './hsm/sealer.js'
import { RateLimiter } from './rate-limit.js'
import type { VaultStore } from './store/store.js'

export interface VaultAppOptions {
  store: VaultStore
  sealer: Sealer
  /** Fastify/pino logger settings; false for none. */
  logger?: FastifyServerOptions['logger']
  https?: { cert: Buffer; key: Buffer } | null
  limits?: { perIpPerMinute: number; loginsPerRecordPerMinute: number }
  loginTtlMs?: number
  tokenTtlMs?: number
  sweepEveryMs?: number
}

const BODY_LIMIT = 16 * 1024
const DEFAULT_LIMITS = { perIpPerMinute: 120, loginsPerRecordPerMinute: 30 }

class VaultHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: VaultErrorCode,
    message: string,
  ) {
    super(message)
  }
}

/** A short, non-reversible tag for a record in logs (ids are not secret, but logs need not carry them). */
const tag = (id: string) => createHash('sha256').update(id).digest('hex').slice(0, 8)

/**
 * The Backup Key Vault's HTTP API (/v1). It stores, for each record, an
 * OPAQUE registration record and the backup key wrapped under a key only
 * the password holder can derive, both sealed in the HSM. A login start
 * counts one guess in the database before it answers; a verified login
 * resets the count and returns the wrapped key sealed under the session
 * key; when the guesses run out the record is erased. An unknown record id
 * is answered with OPAQUE's stand-in record, exactly like a wrong password.
 */
export async function buildVaultApp(options: VaultAppOptions): Promise<FastifyInstance> {
  const { store, sealer } = options
  const loginTtlMs = options.loginTtlMs ?? 60_000
  const tokenTtlMs = options.tokenTtlMs ?? 5 * 60_000
  const limits = options.limits ?? DEFAULT_LIMITS
  const perIp = new RateLimiter(limits.perIpPerMinute)
  const perRecord = new RateLimiter(limits.loginsPerRecordPerMinute)

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

  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    logger: options.logger ?? false,
    ...(options.https ? { https: options.https } : {}),
    // Fastify's own request logs are off; the onResponse hook logs method, route and status
    // only: never bodies, headers or query strings.
    logController: new LogController({ disableRequestLogging: true }),
  }) as unknown as FastifyInstance

  app.addHook('onRequest', async (request) => {
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
    if (error instanceof VaultHttpError)
      return reply.status(error.status).send({ error: error.code, message: error.message })
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply
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

  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_request, reply: FastifyReply) => {
    try {
      await store.ping()
      sealer.unseal(sealer.seal(Buffer.from('probe'), 'probe'), 'probe')
      return { status: 'ready', store: store.kind, hsm: sealer.kind }
    } catch {
      return reply
        .status(503)
        .send({ error: 'unavailable', message: 'The vault cannot reach its database or HSM.' })
    }
  })

  app.post('/v1/register/start', async (request) => {
    const body = parse(registerStartRequest, request)
    const { registrationResponse } = opaque(() =>
      opaqueServer.createRegistrationResponse({
        serverSetup,
        userIdentifier: body.recordId,
        registrationRequest: body.registrationRequest,
      }),
    )
    return { registrationResponse }
  })

  app.post('/v1/register/finish', async (request, reply) => {
    const body = parse(registerFinishRequest, request)
    const sealed = sealer.seal(
      Buffer.from(
        JSON.stringify({
          registrationRecord: body.registrationRecord,
          wrappedKey: body.wrappedKey,
        }),
      ),
      recordContext(body.recordId),
    )
    const now = Date.now()
    if (body.authToken) {
      // A password change: allowed once, right after a verified login to this record.
      if (!(await store.takeToken(hashToken(body.authToken), body.recordId, now))) {
        throw new VaultHttpError(
          403,
          'not_authorized',
          'Log in again to change the password (the authorisation expired or was used).',
        )
      }
      if (!(await store.replaceRecord(body.recordId, sealed, now))) {
        throw new VaultHttpError(410, 'record_destroyed', 'This vault record no longer exists.')
      }
      request.log.info({ record: tag(body.recordId) }, 'record replaced (password changed)')
      return reply.status(200).send({ status: 'replaced' })
    }
    const outcome = await store.insertRecord({
      id: body.recordId,
      sealed,
      maxGuesses: body.maxGuesses,
      now,
    })
    if (outcome !== 'inserted') {
      throw new VaultHttpError(
        409,
        'record_exists',
        'A vault record with this id exists already; choose another id.',
      )
    }
    request.log.info(
      { record: tag(body.recordId), maxGuesses: body.maxGuesses },
      'record registered',
    )
    return reply.status(201).send({ status: 'registered' })
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
    // The guess is counted (durably) before anything is answered.
    const outcome = await store.countGuess(body.recordId, Date.now())
    if (outcome.kind === 'destroyed') {
      request.log.warn({ record: tag(body.recordId) }, 'login for a destroyed record')
      throw new VaultHttpError(
        410,
        'record_destroyed',
        'This backup key was destroyed after too many wrong passwords.',
      )
    }
    // An unknown id gets OPAQUE's stand-in record: to the client it looks like a wrong password.
    const registrationRecord =
      outcome.kind === 'counted'
        ? openRecord(body.recordId, outcome.record.sealed).registrationRecord
        : null
    const { serverLoginState, loginResponse } = opaque(() =>
      opaqueServer.startLogin({
        serverSetup,
        userIdentifier: body.recordId,
        registrationRecord,
        startLoginRequest: body.startLoginRequest,
      }),
    )
    const loginId = randomBytes(16).toString('base64url')
    await store.saveLogin(
      loginId,
      {
        recordId: outcome.kind === 'counted' ? body.recordId : null,
        sealedState: sealer.seal(Buffer.from(serverLoginState), `login:${loginId}`),
      },
      Date.now() + loginTtlMs,
    )
    if (outcome.kind === 'counted')
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
    if (!record)
      throw new VaultHttpError(
        410,
        'record_destroyed',
        'This backup key was destroyed after too many wrong passwords.',
      )
    const { wrappedKey } = openRecord(record.id, record.sealed)
    const responseKey = deriveKey(fromBase64Url(sessionKey), body.loginId, VAULT_LABELS.response)
    const authToken = randomBytes(32).toString('base64url')
    await store.saveToken(hashToken(authToken), record.id, Date.now() + tokenTtlMs)
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
    await store.deleteRecord(body.recordId)
    request.log.info({ record: tag(body.recordId) }, 'record deleted by its owner')
    return reply.status(200).send({ status: 'deleted' })
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
