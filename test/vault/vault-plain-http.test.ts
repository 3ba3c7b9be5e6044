import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { VaultClient } from '../../main/vault/client'
import { isCairnError } from '../../main/shared/errors'
import { runCli } from '../support/cli'
import { freePort } from '../support/postgres'
import { FAST_KSF } from '../support/vault-client'
import { devNodeEnv, selfSignedCertificate, startVaultNode } from '../support/vault'

// Issue 8, point 7: plain HTTP only on this computer's loopback, or with an option whose
// name says what it is, on both sides.

/** This machine's address on its network (not loopback): where a real LAN client would connect. */
function networkAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address
  if (!address) throw new Error('These tests need a non-loopback IPv4 address on this machine')
  return address
}

const data = () => mkdtempSync(join(tmpdir(), 'cairn-vault-http-'))

describe('the client', () => {
  it('refuses http:// to another computer, before sending anything, and says what to do', () => {
    for (const url of [
      'http://vault.example.org',
      'http://198.51.100.10:8443',
      'http://10.1.2.3',
    ]) {
      let error: unknown = null
      try {
        new VaultClient({ url })
      } catch (e) {
        error = e
      }
      expect(isCairnError(error, 'VAULT_INSECURE'), url).toBe(true)
      expect((error as Error).message).toMatch(
        /plain http:\/\/.*unencrypted.*Use its https:\/\/ address.*--insecure-http/,
      )
    }
    for (const url of [
      'https://vault.example.org',
      'http://127.0.0.1:8443',
      'http://127.8.9.10',
      'http://localhost:8443',
      'http://[::1]:8443',
    ])
      expect(() => new VaultClient({ url }), url).not.toThrow()
    expect(
      () => new VaultClient({ url: 'http://vault.example.org', insecureHttp: true }),
    ).not.toThrow()
  })

  it('cairn vault refuses it too, and --insecure-http or CAIRN_VAULT_INSECURE_HTTP=1 allow it on a test network', async () => {
    const lan = networkAddress()
    const port = await freePort()
    const node = await startVaultNode(
      devNodeEnv(data(), { CAIRN_VAULT_LISTEN: `0.0.0.0:${port}`, CAIRN_VAULT_INSECURE_HTTP: '1' }),
    )
    try {
      const url = `http://${lan}:${port}`
      const id = await new VaultClient({
        url,
        keyStretching: FAST_KSF,
        insecureHttp: true,
      }).register('pw', randomBytes(32))
      const recover = (extra: string[], env: Record<string, string> = {}) =>
        runCli(
          ['vault', 'recover', '--vault', url, '--id', id, '--print', '--password-stdin', ...extra],
          {
            input: 'pw\n',
            env,
          },
        )
      const refused = await recover([])
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(/uses plain http:\/\//)
      // Allowed, it reaches the vault (the record uses test stretching, so the CLI's login fails
      // as a wrong password: the point is that it was sent).
      for (const [extra, env] of [
        [['--insecure-http'], {}],
        [[], { CAIRN_VAULT_INSECURE_HTTP: '1' }],
      ] as const) {
        const allowed = await recover([...extra], env)
        expect(allowed.code).toBe(1)
        expect(allowed.stderr).toMatch(/Wrong password/)
      }
    } finally {
      await node.stop()
    }
  })
})

describe('the server', () => {
  it('refuses to serve plain HTTP beyond loopback, unless CAIRN_VAULT_INSECURE_HTTP=1, and then says so loudly', async () => {
    const port = await freePort()
    const refused = await startVaultNode(
      devNodeEnv(data(), { CAIRN_VAULT_LISTEN: `0.0.0.0:${port}` }),
    ).then(
      async (node) => {
        await node.stop()
        return null
      },
      (error: Error) => error,
    )
    expect(refused?.message).toMatch(/exited \(1\)/)
    expect(refused?.message).toMatch(/Refusing to serve plain HTTP on 0\.0\.0\.0/)
    expect(refused?.message).toMatch(/CAIRN_VAULT_INSECURE_HTTP=1/)

    const insecure = await startVaultNode(
      devNodeEnv(data(), {
        CAIRN_VAULT_LISTEN: `0.0.0.0:${await freePort()}`,
        CAIRN_VAULT_INSECURE_HTTP: '1',
      }),
    )
    expect(insecure.logs()).toMatch(/!!! INSECURE: SERVING PLAIN HTTP ON 0\.0\.0\.0/)
    await insecure.stop()

    const tls = selfSignedCertificate()
    const secure = await startVaultNode(
      devNodeEnv(data(), {
        CAIRN_VAULT_LISTEN: `0.0.0.0:${await freePort()}`,
        CAIRN_VAULT_TLS_CERT: tls.cert,
        CAIRN_VAULT_TLS_KEY: tls.key,
      }),
    )
    expect(secure.logs()).not.toMatch(/INSECURE/)
    await secure.stop()

    const loopback = await startVaultNode(devNodeEnv(data()))
    expect(loopback.url).toMatch(/^http:\/\/127\.0\.0\.1:/)
    expect(loopback.logs()).not.toMatch(/INSECURE/)
    await loopback.stop()
  })
})
