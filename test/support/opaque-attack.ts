import { client as opaqueClient, ready } from '@serenity-kit/opaque'
import { createHmac } from 'node:crypto'
import type { KeyStretching } from '../../main/vault/client'

/**
 * The offline dictionary attack of the security review (issue 8, point 1),
 * done exactly as an attacker would, with nothing but public messages:
 *
 * 1. One login start (one counted guess) gives KE2, whose credential
 *    response masks the server's public key and the envelope under
 *    masking_key = HKDF-Expand(randomized_password, "MaskingKey"), a value
 *    only the right password yields (RFC 9807 §6.1.3).
 * 2. For each candidate password, any uncounted evaluation of the record's
 *    OPRF (a registration start for the record's id) lets the attacker
 *    finish a registration locally, and the registration record it makes
 *    contains that candidate's masking_key (bytes 32–96).
 * 3. Unmask KE2 with it: the right password reveals the server's public
 *    key (known from any registration response), a wrong one noise.
 */

/** HKDF-Expand with SHA-512 (RFC 5869), as OPAQUE's ristretto255-SHA512 suite uses it. */
function expand(prk: Buffer, info: Buffer, length: number): Buffer {
  const blocks: Buffer[] = []
  let previous = Buffer.alloc(0)
  for (let i = 1; Buffer.concat(blocks).length < length; i++) {
    previous = createHmac('sha512', prk)
      .update(Buffer.concat([previous, info, Buffer.from([i])]))
      .digest()
    blocks.push(previous)
  }
  return Buffer.concat(blocks).subarray(0, length)
}

/** A registration start as the attacker sends it for one candidate password. */
export async function candidateRegistration(password: string) {
  await ready
  return opaqueClient.startRegistration({ password })
}

/**
 * Does `password` unmask this KE2, given the evaluation a registration
 * start returned for it? True only when the evaluation was made with the
 * record's own OPRF key and the password is right.
 */
export function confirmsPassword(input: {
  loginResponse: string
  registrationResponse: string
  clientRegistrationState: string
  password: string
  keyStretching: KeyStretching
}): boolean {
  let record: string
  try {
    record = opaqueClient.finishRegistration({
      password: input.password,
      registrationResponse: input.registrationResponse,
      clientRegistrationState: input.clientRegistrationState,
      keyStretching: input.keyStretching,
    }).registrationRecord
  } catch {
    return false
  }
  const maskingKey = Buffer.from(record, 'base64url').subarray(32, 96)
  const ke2 = Buffer.from(input.loginResponse, 'base64url')
  const maskingNonce = ke2.subarray(32, 64)
  const masked = ke2.subarray(64, 192)
  const pad = expand(
    maskingKey,
    Buffer.concat([maskingNonce, Buffer.from('CredentialResponsePad')]),
    masked.length,
  )
  const serverPublicKey = Buffer.from(input.registrationResponse, 'base64url').subarray(32, 64)
  const unmasked = Buffer.from(masked.map((byte, i) => byte ^ (pad[i] as number)))
  return unmasked.subarray(0, 32).equals(serverPublicKey)
}
