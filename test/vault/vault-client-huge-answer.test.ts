import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isCairnError } from '../../main/shared/errors'
import { VaultClient } from '../../main/vault/client'

/** A "vault" whose every answer is 1 MiB of JSON: far beyond anything the protocol has. */
let server: Server
let url: string

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume()
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ state: 'unknown', padding: 'x'.repeat(1024 * 1024) }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

describe('a vault that answers with far too much', () => {
  it('is refused with a message that says so, not an empty reason', async () => {
    const error = await new VaultClient({ url }).status('0'.repeat(32), randomBytes(32)).then(
      () => null,
      (e: unknown) => e,
    )
    expect(isCairnError(error, 'VAULT_UNREACHABLE'), String(error)).toBe(true)
    const { message } = error as Error
    expect(message).not.toMatch(/\(\)/)
    expect(message).toMatch(/answer was too large/)
  })
})
