import { mkdtempSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/cli'
import { useRealKeychain } from '../support/keyring'

/**
 * `cairn destination add NAME URL` over an existing NAME replaces its
 * settings. The password kept in the keychain for the old address must not
 * follow the name to the new address: it was given for another server.
 */
let keyring: Awaited<ReturnType<typeof useRealKeychain>>
let server: Server
let port: number
const seen: string[] = []
beforeAll(async () => {
  keyring = await useRealKeychain()
  // A WebDAV server that asks for a Basic login and records what it is sent.
  server = createServer((request, response) => {
    seen.push(request.headers.authorization ?? '')
    request.resume()
    response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="new box"' }).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve))
  keyring?.stop()
})

const env = () => ({ DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS ?? '' })

describe('cairn destination add over an existing name', () => {
  it("does not send the old address's password to the new address", async () => {
    const profile = join(mkdtempSync(join(tmpdir(), 'cairn-readd-')), 'profile')
    const oldSecret = 'OLD-NAS-password-0451'
    const first = await runCli(
      [
        'destination',
        'add',
        '--profile',
        profile,
        '--no-test',
        '--password-stdin',
        'nas',
        'webdavs://ann@old-nas.example/dav',
      ],
      { input: `${oldSecret}\n`, env: env() },
    )
    expect(first.code, first.stderr).toBe(0)
    // The same name, now another server; no password given for it.
    const second = await runCli(
      [
        'destination',
        'add',
        '--profile',
        profile,
        '--no-test',
        'nas',
        `webdav://ann@127.0.0.1:${port}/dav`,
      ],
      { env: env() },
    )
    expect(second.code, second.stderr).toBe(0)
    const tested = await runCli(['destination', 'test', '--profile', profile, 'nas'], {
      env: env(),
    })
    expect(tested.code).toBe(1)
    const sent = seen
      .filter((h) => h.startsWith('Basic '))
      .map((h) => Buffer.from(h.slice(6), 'base64').toString())
    expect(sent.join('\n')).not.toContain(oldSecret)
    expect(tested.stdout).toMatch(/nas: FAILED: .*asks for a login/)
  })
})
