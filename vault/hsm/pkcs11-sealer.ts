import { randomBytes } from 'node:crypto'
import pkcs11js from 'pkcs11js'
import { SealError, type Sealer } from './sealer.js'

export interface Pkcs11Config {
  /** The PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  module: string
  tokenLabel: string
  pin: string
  keyLabel: string
  /** Generate the sealing key in the token if it has none (the first start of a new vault). */
  createKey: boolean
}

const VERSION = 1
const IV_BYTES = 12

/**
 * Seals with AES-256-GCM inside a PKCS#11 token (SoftHSM2 in development
 * and tests, any PKCS#11 HSM in production). The key is created in the
 * token as sensitive and non-extractable: the vault process can use it but
 * never read it, so a copy of the database alone is useless.
 * Format: version ‖ 12-byte IV ‖ ciphertext ‖ 16-byte tag.
 */
export function pkcs11Sealer(config: Pkcs11Config): Sealer {
  const { lib, session, key } = openToken(config)

  const gcm = (iv: Buffer, context: string) => ({
    mechanism: pkcs11js.CKM_AES_GCM,
    parameter: {
      type: pkcs11js.CK_PARAMS_GCM,
      iv,
      ivBits: IV_BYTES * 8,
      aad: Buffer.from(context, 'utf8'),
      tagBits: 128,
    },
  })

  return {
    kind: 'pkcs11',
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES)
      lib.C_EncryptInit(session, gcm(iv, context), key)
      const out = lib.C_Encrypt(session, plaintext, Buffer.alloc(plaintext.length + 16))
      return Buffer.concat([Buffer.from([VERSION]), iv, out])
    },
    unseal(sealed, context) {
      if (sealed.length < 1 + IV_BYTES + 16 || sealed[0] !== VERSION)
        throw new SealError('not a sealed value')
      const iv = sealed.subarray(1, 1 + IV_BYTES)
      try {
        lib.C_DecryptInit(session, gcm(Buffer.from(iv), context), key)
        return Buffer.from(
          lib.C_Decrypt(session, sealed.subarray(1 + IV_BYTES), Buffer.alloc(sealed.length)),
        )
      } catch {
        throw new SealError(
          'a sealed value does not authenticate (altered, or sealed for another record)',
        )
      }
    },
    close() {
      try {
        lib.C_Logout(session)
        lib.C_CloseSession(session)
      } finally {
        lib.C_Finalize()
      }
    },
  }
}

/**
 * How long a node keeps trying to open its token. SoftHSM2's file store
 * rewrites token.object on every login, and another process reading it at
 * that moment sees no token, or gets CKR_GENERAL_ERROR: nodes sharing one
 * token and started together would fail now and then (1 start in 15 with six
 * at once). Only those two are tried again: a PIN error would count against
 * the token's PIN, and a missing key is a setting to fix.
 */
const OPEN_DEADLINE_MS = 3_000
const OPEN_RETRY_MS = 25

function openToken(config: Pkcs11Config): { lib: pkcs11js.PKCS11; session: Buffer; key: Buffer } {
  const deadline = Date.now() + OPEN_DEADLINE_MS
  for (;;) {
    try {
      return openTokenOnce(config)
    } catch (error) {
      if (!isPassing(error) || Date.now() >= deadline) throw error
      sleepSync(OPEN_RETRY_MS + Math.floor(Math.random() * OPEN_RETRY_MS))
    }
  }
}

function openTokenOnce(config: Pkcs11Config): {
  lib: pkcs11js.PKCS11
  session: Buffer
  key: Buffer
} {
  const lib = new pkcs11js.PKCS11()
  lib.load(config.module)
  lib.C_Initialize()
  try {
    const slot = lib
      .C_GetSlotList(true)
      .find((s) => lib.C_GetTokenInfo(s).label.trim() === config.tokenLabel)
    if (!slot) throw new TokenNotFound(config)
    const session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION)
    lib.C_Login(session, pkcs11js.CKU_USER, config.pin)
    const key =
      findKey(lib, session, config.keyLabel) ??
      (config.createKey ? createKey(lib, session, config.keyLabel) : missing(config.keyLabel))
    return { lib, session, key }
  } catch (error) {
    lib.C_Finalize()
    throw error
  }
}

class TokenNotFound extends Error {
  constructor(config: Pkcs11Config) {
    super(`No PKCS#11 token labelled "${config.tokenLabel}" in ${config.module}`)
  }
}

/** What another process's write to the token can cause for a moment. */
function isPassing(error: unknown): boolean {
  return (
    error instanceof TokenNotFound ||
    (error instanceof pkcs11js.Pkcs11Error && error.code === pkcs11js.CKR_GENERAL_ERROR)
  )
}

/** Blocks the thread: this runs once, while the node starts, before it serves anything. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function findKey(lib: pkcs11js.PKCS11, session: Buffer, label: string): Buffer | null {
  lib.C_FindObjectsInit(session, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_LABEL, value: label },
  ])
  const found = lib.C_FindObjects(session, 2)
  lib.C_FindObjectsFinal(session)
  if (found.length > 1) throw new Error(`The token holds several keys labelled "${label}"`)
  return found[0] ?? null
}

function createKey(lib: pkcs11js.PKCS11, session: Buffer, label: string): Buffer {
  return lib.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: pkcs11js.CKA_ENCRYPT, value: true },
    { type: pkcs11js.CKA_DECRYPT, value: true },
    { type: pkcs11js.CKA_WRAP, value: false },
    { type: pkcs11js.CKA_UNWRAP, value: false },
  ])
}

function missing(label: string): never {
  throw new Error(
    `The token has no sealing key labelled "${label}"; start one node with createKey to make it.`,
  )
}
