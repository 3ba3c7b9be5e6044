import type { client as OpaqueClient } from '@serenity-kit/opaque'
import { randomBytes } from 'node:crypto'
import type { z } from 'zod'
import { deriveKey, fromBase64Url, openBox, sealBox } from '../../common/vault-crypto.js'
import {
  errorResponse,
  loginFinishResponse,
  loginStartResponse,
  MAX_GUESSES_LIMIT,
  recordId as recordIdSchema,
  registerStartResponse,
  VAULT_LABELS,
} from '../../common/vault-protocol.js'
import { CairnError } from '../shared/errors.js'
import { requestJson, type HttpOptions } from './http.js'

/** How hard the password is stretched (argon2id) before OPAQUE. Must be the same at registration and login. */
export type KeyStretching = NonNullable<
  Parameters<typeof OpaqueClient.finishLogin>[0]['keyStretching']
>

/**
 * OPAQUE (a WebAssembly module, ~14 MB of memory) is loaded on first use,
 * so the app and the other CLI commands do not carry it.
 */
let opaqueLoaded: Promise<typeof OpaqueClient> | null = null
function opaque(): Promise<typeof OpaqueClient> {
  opaqueLoaded ??= import('@serenity-kit/opaque').then(async (module) => {
    await module.ready
    return module.client
  })
  return opaqueLoaded
}

export interface VaultClientOptions extends HttpOptions {
  url: string
  /** Tests only: a cheaper argon2id. Real records use the library's default (RFC-recommended). */
  keyStretching?: KeyStretching
}

/**
 * The client side of the Backup Key Vault. The password never leaves this
 * process: OPAQUE proves knowledge of it, and the backup key travels wrapped
 * under a key derived from OPAQUE's export key, which only someone with the
 * password can compute.
 */
export class VaultClient {
  private readonly base: URL

  constructor(private readonly options: VaultClientOptions) {
    try {
      this.base = new URL(options.url)
    } catch {
      throw new CairnError(
        'INVALID_ARGUMENT',
        `"${options.url}" is not a vault address (like https://vault.example.org).`,
      )
    }
    if (this.base.protocol !== 'https:' && this.base.protocol !== 'http:') {
      throw new CairnError(
        'INVALID_ARGUMENT',
        `The vault address must start with https:// (got ${this.base.protocol}).`,
      )
    }
  }

  /** Store `backupKey` behind `password`; returns the new record's id (it goes on the recovery sheet). */
  async register(
    password: string,
    backupKey: Uint8Array,
    maxGuesses = MAX_GUESSES_LIMIT,
  ): Promise<string> {
    const id = randomBytes(16).toString('hex')
    await this.enroll(id, password, backupKey, maxGuesses)
    return id
  }

  /** The backup key behind `password` in record `id`. */
  async recover(id: string, password: string): Promise<Uint8Array> {
    const { backupKey } = await this.login(id, password)
    return backupKey
  }

  async changePassword(id: string, oldPassword: string, newPassword: string): Promise<void> {
    const { backupKey, authToken } = await this.login(id, oldPassword)
    await this.enroll(id, newPassword, backupKey, MAX_GUESSES_LIMIT, authToken)
  }

  async delete(id: string, password: string): Promise<void> {
    const { authToken } = await this.login(id, password)
    await this.post('/v1/delete', { recordId: id, authToken })
  }

  private async enroll(
    id: string,
    password: string,
    backupKey: Uint8Array,
    maxGuesses: number,
    authToken?: string,
  ): Promise<void> {
    const opaqueClient = await opaque()
    const { clientRegistrationState, registrationRequest } = opaqueClient.startRegistration({
      password,
    })
    const { registrationResponse } = expect(
      registerStartResponse,
      await this.post('/v1/register/start', { recordId: id, registrationRequest }),
    )
    const { registrationRecord, exportKey } = this.untampered(() =>
      opaqueClient.finishRegistration({
        password,
        registrationResponse,
        clientRegistrationState,
        ...(this.options.keyStretching ? { keyStretching: this.options.keyStretching } : {}),
      }),
    )
    const wrapKey = deriveKey(fromBase64Url(exportKey), id, VAULT_LABELS.wrap)
    const wrappedKey = sealBox(wrapKey, backupKey, `backup-key:${id}`).toString('base64')
    await this.post('/v1/register/finish', {
      recordId: id,
      registrationRecord,
      wrappedKey,
      maxGuesses,
      ...(authToken ? { authToken } : {}),
    })
  }

  private async login(
    id: string,
    password: string,
  ): Promise<{ backupKey: Uint8Array; authToken: string }> {
    if (!recordIdSchema.safeParse(id).success) {
      throw new CairnError(
        'INVALID_ARGUMENT',
        `"${id}" is not a vault record id (32 hex digits, on your recovery sheet).`,
      )
    }
    const opaqueClient = await opaque()
    const { clientLoginState, startLoginRequest } = opaqueClient.startLogin({ password })
    const { loginId, loginResponse } = expect(
      loginStartResponse,
      await this.post('/v1/login/start', { recordId: id, startLoginRequest }),
    )
    const finished = this.untampered(() =>
      opaqueClient.finishLogin({
        clientLoginState,
        loginResponse,
        password,
        ...(this.options.keyStretching ? { keyStretching: this.options.keyStretching } : {}),
      }),
    )
    if (!finished) {
      throw new CairnError(
        'VAULT_WRONG_PASSWORD',
        'Wrong password (or no such vault record). Each try counts: after too many wrong passwords the key is destroyed for good.',
      )
    }
    const answer = expect(
      loginFinishResponse,
      await this.post('/v1/login/finish', {
        loginId,
        finishLoginRequest: finished.finishLoginRequest,
      }),
    )
    const responseKey = deriveKey(
      fromBase64Url(finished.sessionKey),
      loginId,
      VAULT_LABELS.response,
    )
    const wrapped = openBox(responseKey, Buffer.from(answer.sealedKey, 'base64'), `response:${id}`)
    const backupKey =
      wrapped &&
      openBox(
        deriveKey(fromBase64Url(finished.exportKey), id, VAULT_LABELS.wrap),
        wrapped,
        `backup-key:${id}`,
      )
    if (!backupKey || backupKey.length !== 32) throw tampered()
    return { backupKey, authToken: answer.authToken }
  }

  /** POST; the body of a 2xx answer, or a CairnError that says what went wrong. */
  private async post(path: string, body: unknown): Promise<unknown> {
    const response = await requestJson(new URL(path, this.base), 'POST', body, this.options)
    if (response.status >= 200 && response.status < 300) return response.body
    const error = errorResponse.safeParse(response.body)
    const code = error.success ? error.data.error : 'unknown'
    switch (code) {
      case 'record_destroyed':
        throw new CairnError(
          'VAULT_KEY_DESTROYED',
          'This backup key was destroyed after too many wrong passwords. Backups made with it can no longer be opened with a password.',
        )
      case 'rate_limited':
        throw new CairnError(
          'VAULT_RATE_LIMITED',
          'The vault is refusing attempts for a moment (too many in a short time). Wait a minute and try again.',
        )
      case 'login_failed':
      case 'login_expired':
        throw new CairnError(
          'VAULT_WRONG_PASSWORD',
          'The vault did not accept the login; try again.',
        )
      case 'record_exists':
        throw new CairnError(
          'VAULT_REJECTED',
          'The vault already has a record with this id; try again.',
        )
      case 'not_authorized':
        throw new CairnError(
          'VAULT_REJECTED',
          'The vault refused the change: log in again and retry.',
        )
      default:
        throw new CairnError(
          response.status >= 500 ? 'VAULT_UNREACHABLE' : 'VAULT_REJECTED',
          response.status >= 500
            ? `The Backup Key Vault failed to answer (HTTP ${response.status}); try again later.`
            : `The Backup Key Vault refused the request (HTTP ${response.status}${error.success ? `: ${error.data.message}` : ''}).`,
        )
    }
  }

  private untampered<T>(action: () => T): T {
    try {
      return action()
    } catch {
      throw tampered()
    }
  }
}

/** An answer of the expected shape, or the error for a tampered one. */
function expect<T extends z.ZodTypeAny>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body)
  if (!parsed.success) throw tampered()
  return parsed.data
}

function tampered(): CairnError {
  return new CairnError(
    'VAULT_TAMPERED',
    "The vault's answer does not check out: it was altered on the way, or this is not the vault you registered with. Your key was not changed.",
  )
}
