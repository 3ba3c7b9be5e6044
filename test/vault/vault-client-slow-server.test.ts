import { randomBytes } from 'node:crypto'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isCairnError } from '../../main/shared/errors'
import { VaultClient } from '../../main/vault/client'
import { checkVaultRecord } from '../../main/vault/record-check'
import type { SecretStore } from '../../main/keychain/keychain'

/**
 * A vault (or something on the way) that answers, then sends one byte of
 * JSON whitespace every 100 ms and never finishes: the socket is never idle
 * for long, so an idle timeout alone never fires.
 */
let server: Server
let url: string
const dripping = new Set<ServerResponse>()

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume()
    response.writeHead(200, { 'content-type': 'application/json' })
    dripping.add(response)
    const timer = setInterval(() => response.write(' '), 100)
    response.on('close', () => {
      clearInterval(timer)
      dripping.delete(response)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  for (const response of dripping) response.destroy()
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

/** The promise's outcome, or 'still waiting' once `ms` have passed. */
const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), ms)),
  ])

describe('a vault that answers too slowly', () => {
  it('a request that trickles on past the timeout fails as "did not answer in time"', async () => {
    const client = new VaultClient({ url, timeoutMs: 1000 })
    const outcome = await within(client.status('0'.repeat(32), randomBytes(32)), 8000)
    expect(outcome).not.toBe('still waiting')
    const { error } = outcome as { error: unknown }
    expect(isCairnError(error, 'VAULT_UNREACHABLE'), String(error)).toBe(true)
    expect((error as Error).message).toMatch(/did not answer in time/)
  })

  it('the record check gives up too, so the next check (and the app closing) is not stuck behind it', async () => {
    const key = { secret: randomBytes(32), fingerprint: 'f'.repeat(16) }
    const outcome = await within(
      checkVaultRecord({
        record: { url, recordId: '0'.repeat(32), fingerprint: key.fingerprint },
        keychain: {} as SecretStore,
        key: key as never,
        clientOptions: { timeoutMs: 1000 },
      }),
      8000,
    )
    expect(outcome).not.toBe('still waiting')
    expect((outcome as { value: { state: string } }).value.state).toBe('check-failed')
  })
})
