/**
 * The Backup Key Vault's wire format (JSON over HTTPS, under /v1), shared by
 * the server (vault/) and its client (main/vault). The password never
 * crosses it: registration and login are OPAQUE (RFC 9807) messages, and
 * the backup key travels wrapped under a key only the client can derive.
 */
import { z } from 'zod'

/** OPAQUE messages and keys as @serenity-kit/opaque encodes them: base64url. */
const opaqueMessage = z
  .string()
  .min(16)
  .max(2048)
  .regex(/^[A-Za-z0-9_-]+$/)
const base64 = z
  .string()
  .min(16)
  .max(1024)
  .regex(/^[A-Za-z0-9+/]+={0,2}$/)

/** 128 random bits chosen by the client, as 32 hex digits; it goes on the recovery sheet. */
export const recordId = z.string().regex(/^[0-9a-f]{32}$/, 'a record id is 32 hex digits')
export const MAX_GUESSES_LIMIT = 10

export const registerStartRequest = z
  .object({ recordId, registrationRequest: opaqueMessage })
  .strict()
export const registerStartResponse = z.object({ registrationResponse: opaqueMessage }).strict()

export const registerFinishRequest = z
  .object({
    recordId,
    registrationRecord: opaqueMessage,
    /** The backup key, wrapped under a key derived from OPAQUE's export key (nonce ‖ ciphertext). */
    wrappedKey: base64,
    maxGuesses: z.number().int().min(1).max(MAX_GUESSES_LIMIT),
    /** Present when replacing a record (a password change): proof of a fresh login. */
    authToken: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/)
      .optional(),
  })
  .strict()

export const loginStartRequest = z.object({ recordId, startLoginRequest: opaqueMessage }).strict()
export const loginStartResponse = z
  .object({ loginId: z.string().regex(/^[A-Za-z0-9_-]{22}$/), loginResponse: opaqueMessage })
  .strict()

export const loginFinishRequest = z
  .object({ loginId: z.string().regex(/^[A-Za-z0-9_-]{22}$/), finishLoginRequest: opaqueMessage })
  .strict()
export const loginFinishResponse = z
  .object({
    /** The wrapped backup key, sealed again under a key from the OPAQUE session key. */
    sealedKey: base64,
    /** Authorises one password change or deletion in the next few minutes. */
    authToken: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  })
  .strict()

export const deleteRequest = z
  .object({ recordId, authToken: z.string().regex(/^[A-Za-z0-9_-]{43}$/) })
  .strict()

/** Error answers: a code the client maps to its message, and a short text for logs and people. */
export const errorResponse = z.object({ error: z.string(), message: z.string() }).strict()

export type VaultErrorCode =
  | 'invalid_request'
  | 'record_exists'
  | 'record_destroyed'
  | 'login_failed'
  | 'login_expired'
  | 'not_authorized'
  | 'rate_limited'
  | 'unavailable'
  | 'internal'

/** Labels binding derived keys and sealed data to their one purpose. */
export const VAULT_LABELS = {
  wrap: 'cairn vault v1 backup key wrap',
  response: 'cairn vault v1 login response',
} as const
