import { client as opaqueClient, ready } from '@serenity-kit/opaque'
import { VaultClient, type KeyStretching } from '../../main/vault/client'

/** argon2id made cheap, for tests that log in hundreds of times. Records made with it need it to log in. */
export const FAST_KSF: KeyStretching = {
  'argon2id-custom': { memory: 8, iterations: 1, parallelism: 1 },
}

export function fastClient(url: string, ca?: Buffer): VaultClient {
  return new VaultClient({ url, keyStretching: FAST_KSF, ...(ca ? { ca } : {}) })
}

/** POST JSON to a vault, returning status and body (for protocol-level tests). */
export async function post(
  url: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(new URL(path, url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await response.text()
  let parsed: Record<string, unknown> = {}
  try {
    parsed = JSON.parse(text) as Record<string, unknown>
  } catch {
    // not JSON
  }
  return { status: response.status, body: parsed }
}

/** A login start as a client with this (maybe wrong) password would send it. */
export async function loginStart(url: string, recordId: string, password: string) {
  await ready
  const { startLoginRequest } = opaqueClient.startLogin({ password })
  return post(url, '/v1/login/start', { recordId, startLoginRequest })
}
