import type { client as OpaqueClient } from '@serenity-kit/opaque'
import type { z } from 'zod'
import { isLoopbackHost } from '../../common/loopback.js'
import { deriveKey, fromBase64Url, openBox, sealBox } from '../../common/vault-crypto.js'
import {
  errorResponse,
  loginFinishResponse,
  loginStartResponse,
  MAX_GUESSES_LIMIT,
  recordId as recordIdSchema,
  registerFinishResponse,
  registerStartResponse,
  statusResponse,
  VAULT_LABELS,
  type StatusResponse,
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
  /**
   * Accept plain http:// to a vault that is not on this computer (a test
   * network). Off: only https://, or http:// to a loopback address.
   */
  insecureHttp?: boolean
}

/**
 * The token that proves ownership of a record to the status call, derived
 * from the backup key: the app, which keeps the key but not the password,
 * can check its record; a stranger who knows the id (from a backup's
 * sidecar) cannot.
 */
export function vaultStatusToken(backupKey: Uint8Array, recordId: string): string {
  return deriveKey(backupKey, recordId, VAULT_LABELS.status).toString('base64url')
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
    if (
      this.base.protocol === 'http:' &&
      !isLoopbackHost(this.base.hostname) &&
      !options.insecureHttp
    ) {
      throw new CairnError(
        'VAULT_INSECURE',
        `The vault address ${this.base.origin} uses plain http://: your vault traffic would cross the network unencrypted and anyone on the way could pose as the vault. Use its https:// address. (Plain http:// is accepted only for a vault on this computer, or with --insecure-http / CAIRN_VAULT_INSECURE_HTTP=1 on a test network.)`,
      )
    }
  }

  /**
   * Store `backupKey` behind `password`; returns the new record's id, which
   * the vault chooses (it goes on the recovery sheet).
   */
  async register(
    password: string,
    backupKey: Uint8Array,
    maxGuesses = MAX_GUESSES_LIMIT,
  ): Promise<string> {
    return this.enroll(password, backupKey, maxGuesses)
  }

  /**
   * Does record `id` still exist, and how many wrong passwords has it seen?
   * Spends no guess; proves ownership with a token derived from the backup
   * key. "unknown" means the vault does not recognise this id and key.
   */
  async status(id: string, backupKey: Uint8Array): Promise<StatusResponse> {
    checkRecordId(id)
    return expect(
      statusResponse,
      await this.post('/v1/status', {
        recordId: id,
        statusToken: vaultStatusToken(backupKey, id),
      }),
    )
  }

  /** The backup key behind `password` in record `id`. */
  async recover(id: string, password: string): Promise<Uint8Array> {
    const { backupKey } = await this.login(id, password)
    return backupKey
  }

  async changePassword(id: string, oldPassword: string, newPassword: string): Promise<void> {
    const { backupKey, authToken } = await this.login(id, oldPassword)
    await this.enroll(newPassword, backupKey, MAX_GUESSES_LIMIT, { id, authToken })
  }

  async delete(id: string, password: string): Promise<void> {
    const { authToken } = await this.login(id, password)
    await this.post('/v1/delete', { recordId: id, authToken })
  }

  /** A registration: a new record (the vault picks its id), or a password change of `change.id`. */
  private async enroll(
    password: string,
    backupKey: Uint8Array,
    maxGuesses: number,
    change?: { id: string; authToken: string },
  ): Promise<string> {
    const opaqueClient = await opaque()
    const { clientRegistrationState, registrationRequest } = opaqueClient.startRegistration({
      password,
    })
    const started = expect(
      registerStartResponse,
      await this.post('/v1/register/start', {
        registrationRequest,
        ...(change ? { recordId: change.id, authToken: change.authToken } : {}),
      }),
    )
    const id = started.recordId
    if (change && id !== change.id) throw tampered()
    const { registrationRecord, exportKey } = this.untampered(() =>
      opaqueClient.finishRegistration({
        password,
        registrationResponse: started.registrationResponse,
        clientRegistrationState,
        ...(this.options.keyStretching ? { keyStretching: this.options.keyStretching } : {}),
      }),
    )
    const wrapKey = deriveKey(fromBase64Url(exportKey), id, VAULT_LABELS.wrap)
    const wrappedKey = sealBox(wrapKey, backupKey, `backup-key:${id}`).toString('base64')
    const finished = expect(
      registerFinishResponse,
      await this.post('/v1/register/finish', {
        recordId: id,
        ticket: started.ticket,
        registrationRecord,
        wrappedKey,
        statusToken: vaultStatusToken(backupKey, id),
        maxGuesses,
        ...(change ? { authToken: change.authToken } : {}),
      }),
    )
    if (finished.recordId !== id) throw tampered()
    return id
  }

  private async login(
    id: string,
    password: string,
  ): Promise<{ backupKey: Uint8Array; authToken: string }> {
    checkRecordId(id)
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
      case 'try_later': {
        const seconds = error.data?.retryAfterSeconds ?? 60
        const at = new Date(Date.now() + seconds * 1000)
        throw new CairnError(
          'VAULT_TRY_LATER',
          `Too many wrong passwords in a row: the vault takes the next try at ${at.toLocaleString()} (in ${describeWait(seconds)}). That try was not counted. Each wrong password makes the wait longer, and after too many the key is destroyed for good.`,
        )
      }
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
          'The vault says this registration was finished already; start again.',
        )
      case 'not_authorized':
        throw new CairnError(
          'VAULT_REJECTED',
          'The vault refused the registration or change (it took too long, or the login that allowed it was used); try again.',
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

function checkRecordId(id: string): void {
  if (!recordIdSchema.safeParse(id).success) {
    throw new CairnError(
      'INVALID_ARGUMENT',
      `"${id}" is not a vault record id (32 hex digits, on your recovery sheet).`,
    )
  }
}

function describeWait(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} minutes`
  return `${Math.round(seconds / 360) / 10} hours`
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
