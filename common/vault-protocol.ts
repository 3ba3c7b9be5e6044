/**
 * The Backup Key Vault's wire format (JSON over HTTPS, under /v1), shared by
 * the server (vault/) and its client (main/vault). The password never
 * crosses it: registration and login are OPAQUE (RFC 9807) messages, and
 * the backup key travels wrapped under a key only the client can derive.
 * Both sides check every message against these schemas, so a message of
 * the wrong size or encoding is refused before any cryptography sees it.
 */
import { z } from 'zod'

/**
 * A byte string of exactly `bytes` bytes in unpadded base64url (how
 * @serenity-kit/opaque encodes its messages), in its one canonical spelling.
 */
const base64url = (bytes: number, what: string) =>
  z
    .string()
    .length(Math.ceil((bytes * 4) / 3), `${what} must be ${bytes} bytes`)
    .regex(/^[A-Za-z0-9_-]+$/, `${what} must be base64url`)
    .refine(
      (text) => Buffer.from(text, 'base64url').toString('base64url') === text,
      `${what} is not canonical base64url`,
    )

/**
 * Sizes of OPAQUE's messages for its one configuration here
 * (ristretto255, SHA-512, 3DH; RFC 9807 §6 with Nn = Nseed = Noe = Npk = 32, Nh = Nm = 64).
 */
export const OPAQUE_BYTES = {
  /** Blinded element. */
  registrationRequest: 32,
  /** Evaluated element ‖ server public key. */
  registrationResponse: 64,
  /** Client public key ‖ masking key ‖ envelope (nonce ‖ auth tag). */
  registrationRecord: 192,
  /** KE1: blinded element ‖ client nonce ‖ client key share. */
  startLoginRequest: 96,
  /** KE2: credential response (160) ‖ server nonce ‖ server key share ‖ server MAC. */
  loginResponse: 320,
  /** KE3: client MAC. */
  finishLoginRequest: 64,
} as const

const opaqueMessage = (name: keyof typeof OPAQUE_BYTES) => base64url(OPAQUE_BYTES[name], name)

/** The wrapped backup key: 12-byte nonce ‖ 32-byte key ‖ 16-byte tag, in standard base64. */
export const WRAPPED_KEY_BYTES = 60
const wrappedKey = z
  .string()
  .length(80, `wrappedKey must be ${WRAPPED_KEY_BYTES} bytes`)
  .regex(/^[A-Za-z0-9+/]+$/, 'wrappedKey must be base64')
  .refine(
    (text) => Buffer.from(text, 'base64').toString('base64') === text,
    'wrappedKey is not canonical base64',
  )
/** The login answer: the wrapped key sealed again (nonce ‖ 60 bytes ‖ tag), in standard base64. */
const sealedKey = z
  .string()
  .length(120)
  .regex(/^[A-Za-z0-9+/]+={0,2}$/)

/** 128 random bits, as 32 hex digits; chosen by the vault at registration, it goes on the recovery sheet. */
export const recordId = z.string().regex(/^[0-9a-f]{32}$/, 'a record id is 32 hex digits')
export const MAX_GUESSES_LIMIT = 10
/** A one-time authorisation from a verified login (32 random bytes). */
const authToken = base64url(32, 'authToken')
/**
 * Proof of owning a record, for the status call: derived by the client from
 * the backup key (see VAULT_LABELS.status); the vault keeps only its hash.
 */
const statusToken = base64url(32, 'statusToken')
const loginId = base64url(16, 'loginId')
/** Sealed by the vault at registration start; opaque to the client. */
const ticket = z
  .string()
  .min(32)
  .max(256)
  .regex(/^[A-Za-z0-9_-]+$/)

/**
 * Registration start. Without recordId the vault chooses a new record id:
 * a client can never make the vault run OPAQUE for an existing record
 * without a fresh login (recordId with the authToken of that login: a
 * password change).
 */
export const registerStartRequest = z
  .object({
    registrationRequest: opaqueMessage('registrationRequest'),
    recordId: recordId.optional(),
    authToken: authToken.optional(),
  })
  .strict()
  .refine((body) => (body.recordId === undefined) === (body.authToken === undefined), {
    message: 'recordId and authToken go together (a password change)',
  })
export const registerStartResponse = z
  .object({
    recordId,
    /** Names this registration at finish; only the vault can make one. */
    ticket,
    registrationResponse: opaqueMessage('registrationResponse'),
  })
  .strict()

export const registerFinishRequest = z
  .object({
    recordId,
    ticket,
    registrationRecord: opaqueMessage('registrationRecord'),
    /** The backup key, wrapped under a key derived from OPAQUE's export key (nonce ‖ ciphertext). */
    wrappedKey,
    statusToken,
    maxGuesses: z.number().int().min(1).max(MAX_GUESSES_LIMIT),
    /** Present when replacing a record (a password change): proof of a fresh login. */
    authToken: authToken.optional(),
  })
  .strict()
export const registerFinishResponse = z
  .object({ status: z.enum(['registered', 'replaced']), recordId })
  .strict()

export const loginStartRequest = z
  .object({ recordId, startLoginRequest: opaqueMessage('startLoginRequest') })
  .strict()
export const loginStartResponse = z
  .object({ loginId, loginResponse: opaqueMessage('loginResponse') })
  .strict()

export const loginFinishRequest = z
  .object({ loginId, finishLoginRequest: opaqueMessage('finishLoginRequest') })
  .strict()
export const loginFinishResponse = z
  .object({
    /** The wrapped backup key, sealed again under a key from the OPAQUE session key. */
    sealedKey,
    /** Authorises one password change or deletion in the next few minutes. */
    authToken,
  })
  .strict()

export const deleteRequest = z.object({ recordId, authToken }).strict()

/** Does my record still exist? Spends no guess; only the holder of the status token learns anything. */
export const statusRequest = z.object({ recordId, statusToken }).strict()
export const statusResponse = z.discriminatedUnion('state', [
  z
    .object({
      state: z.literal('active'),
      /** Wrong passwords since the last verified login. */
      guessesUsed: z.number().int().min(0).max(MAX_GUESSES_LIMIT),
      maxGuesses: z.number().int().min(1).max(MAX_GUESSES_LIMIT),
      /** When the next login attempt will be accepted (ISO time), when it has to wait. */
      nextGuessAt: z.string().datetime().nullable(),
    })
    .strict(),
  /** Destroyed after too many wrong passwords. */
  z.object({ state: z.literal('destroyed') }).strict(),
  /** Deleted by its owner (a login and /v1/delete). */
  z.object({ state: z.literal('deleted') }).strict(),
  /** No record with this id and status token: what everyone without the token hears. */
  z.object({ state: z.literal('unknown') }).strict(),
])
export type StatusResponse = z.infer<typeof statusResponse>

/** Error answers: a code the client maps to its message, and a short text for logs and people. */
export const errorResponse = z
  .object({
    error: z.string(),
    message: z.string(),
    /** With try_later: when the vault accepts the next attempt. */
    retryAfterSeconds: z.number().int().min(0).optional(),
  })
  .strict()

export type VaultErrorCode =
  | 'invalid_request'
  | 'record_exists'
  | 'record_destroyed'
  | 'login_failed'
  | 'login_expired'
  | 'not_authorized'
  | 'rate_limited'
  | 'try_later'
  | 'unavailable'
  | 'internal'

/** Labels binding derived keys and sealed data to their one purpose. */
export const VAULT_LABELS = {
  wrap: 'cairn vault v1 backup key wrap',
  response: 'cairn vault v1 login response',
  status: 'cairn vault v1 record status',
} as const
