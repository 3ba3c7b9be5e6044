import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VaultClient } from '../../main/vault/client'
import { isCairnError } from '../../main/shared/errors'
import { initSoftHsm, type SoftHsm } from '../support/softhsm'
import { startProxy } from '../support/http-proxy'
import { freePort } from '../support/postgres'
import { tempDir } from '../support/temp'
import { FAST_KSF, fastClient, loginStart, post } from '../support/vault-client'
import { selfSignedCertificate, startVaultNode, type VaultNode } from '../support/vault'

let hsm: SoftHsm
let node: VaultNode
let dataDir: string

/** The node's settings: SQLite in dataDir, the SoftHSM2 token, limits and guess spacing out of the way. */
const nodeEnv = (createKey: boolean) => ({
  ...hsm.env,
  CAIRN_VAULT_DATABASE: `sqlite:${join(dataDir, 'vault.sqlite')}`,
  CAIRN_VAULT_PKCS11_MODULE: hsm.module,
  CAIRN_VAULT_PKCS11_TOKEN: hsm.tokenLabel,
  CAIRN_VAULT_PKCS11_PIN: hsm.pin,
  CAIRN_VAULT_PKCS11_CREATE_KEY: createKey ? '1' : '0',
  CAIRN_VAULT_RATE_PER_IP: '100000',
  CAIRN_VAULT_RATE_PER_RECORD: '100000',
  CAIRN_VAULT_GUESS_DELAY: '0',
})

beforeAll(async () => {
  hsm = initSoftHsm()
  dataDir = mkdtempSync(join(tmpdir(), 'cairn-vault-data-'))
  node = await startVaultNode(nodeEnv(true))
})
afterAll(async () => {
  await node?.stop()
  hsm?.remove()
})

async function expectCode(promise: Promise<unknown>, code: string): Promise<Error> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(isCairnError(error), String(error)).toBe(true)
  expect((error as { code: string }).code).toBe(code)
  return error as Error
}

const guessesOf = (id: string) => {
  const db = new Database(join(dataDir, 'vault.sqlite'), { readonly: true })
  try {
    return (
      (
        db.prepare('SELECT guesses FROM vault_records WHERE id = ?').get(id) as
          { guesses: number } | undefined
      )?.guesses ?? null
    )
  } finally {
    db.close()
  }
}

describe('Backup Key Vault (one node: SQLite, SoftHSM2)', () => {
  it('gives the key back for the right password only', async () => {
    const client = fastClient(node.url)
    const key = randomBytes(32)
    const id = await client.register('correct horse battery staple', key)
    expect(id).toMatch(/^[0-9a-f]{32}$/)
    expect(Buffer.from(await client.recover(id, 'correct horse battery staple')).equals(key)).toBe(
      true,
    )
    const wrong = await expectCode(
      client.recover(id, 'Correct horse battery staple'),
      'VAULT_WRONG_PASSWORD',
    )
    expect(wrong.message).toMatch(
      /Wrong password.*after too many wrong passwords the key is destroyed/,
    )
  })

  it('answers an unknown id exactly like a wrong password, so ids cannot be probed', async () => {
    const client = fastClient(node.url)
    const id = await client.register('pw', randomBytes(32))
    const unknown = randomBytes(16).toString('hex')
    const known = await loginStart(node.url, id, 'not the password')
    const probe = await loginStart(node.url, unknown, 'not the password')
    expect(known.status).toBe(200)
    expect(probe.status).toBe(200)
    expect(Object.keys(probe.body).sort()).toEqual(Object.keys(known.body).sort())
    expect(String(probe.body.loginResponse).length).toBe(String(known.body.loginResponse).length)
    await expectCode(client.recover(unknown, 'anything'), 'VAULT_WRONG_PASSWORD')
  })

  it('9 wrong passwords, then the right one: works, and the count starts again', async () => {
    const client = fastClient(node.url)
    const key = randomBytes(32)
    const id = await client.register('right', key)
    for (let i = 0; i < 9; i++)
      await expectCode(client.recover(id, `wrong ${i}`), 'VAULT_WRONG_PASSWORD')
    expect(guessesOf(id)).toBe(9)
    expect(Buffer.from(await client.recover(id, 'right')).equals(key)).toBe(true)
    expect(guessesOf(id)).toBe(0)
    for (let i = 0; i < 9; i++)
      await expectCode(client.recover(id, `wrong again ${i}`), 'VAULT_WRONG_PASSWORD')
    expect(Buffer.from(await client.recover(id, 'right')).equals(key)).toBe(true)
  })

  it('after 10 wrong passwords the key is destroyed for good, and every later call says so', async () => {
    const client = fastClient(node.url)
    const id = await client.register('right', randomBytes(32))
    for (let i = 0; i < 10; i++)
      await expectCode(client.recover(id, `wrong ${i}`), 'VAULT_WRONG_PASSWORD')
    const destroyed = await expectCode(client.recover(id, 'right'), 'VAULT_KEY_DESTROYED')
    expect(destroyed.message).toMatch(/destroyed after too many wrong passwords/)
    await expectCode(client.recover(id, 'right'), 'VAULT_KEY_DESTROYED')
    expect(guessesOf(id)).toBeNull() // the row and its sealed data are gone
    // Nor can a registration be aimed at the id again: it answers as a login does.
    const again = await post(node.url, '/v1/register/start', {
      recordId: id,
      registrationRequest: 'A'.repeat(43),
      authToken: 'A'.repeat(43),
    })
    expect(again.status).toBe(410)
    expect(again.body.error).toBe('record_destroyed')
  })

  it('honours a smaller guess limit chosen at registration', async () => {
    const client = fastClient(node.url)
    const id = await client.register('right', randomBytes(32), 3)
    for (let i = 0; i < 3; i++)
      await expectCode(client.recover(id, `wrong ${i}`), 'VAULT_WRONG_PASSWORD')
    await expectCode(client.recover(id, 'right'), 'VAULT_KEY_DESTROYED')
  })

  it('changes the password and deletes the record, each after a login', async () => {
    const client = fastClient(node.url)
    const key = randomBytes(32)
    const id = await client.register('old password', key)
    await expectCode(client.changePassword(id, 'not it', 'new password'), 'VAULT_WRONG_PASSWORD')
    await client.changePassword(id, 'old password', 'new password')
    await expectCode(client.recover(id, 'old password'), 'VAULT_WRONG_PASSWORD')
    expect(Buffer.from(await client.recover(id, 'new password')).equals(key)).toBe(true)
    await client.delete(id, 'new password')
    await expectCode(client.recover(id, 'new password'), 'VAULT_WRONG_PASSWORD')
  })

  it('refuses malformed, oversized and replayed messages with 4xx, and stays up', async () => {
    const client = fastClient(node.url)
    const id = await client.register('pw', randomBytes(32))
    expect((await post(node.url, '/v1/login/start', '{not json')).status).toBe(400)
    expect((await post(node.url, '/v1/login/start', { recordId: id })).status).toBe(400)
    expect(
      (
        await post(node.url, '/v1/login/start', {
          recordId: 'zz',
          startLoginRequest: 'A'.repeat(40),
        })
      ).status,
    ).toBe(400)
    expect(
      (
        await post(node.url, '/v1/login/start', {
          recordId: id,
          startLoginRequest: 'A'.repeat(40),
          extra: 1,
        })
      ).status,
    ).toBe(400)
    expect(
      (await post(node.url, '/v1/login/start', { recordId: id, startLoginRequest: 'A'.repeat(96) }))
        .status,
    ).toBe(400)
    expect(
      (
        await post(node.url, '/v1/register/finish', {
          recordId: id,
          ticket: 'A'.repeat(64),
          registrationRecord: 'A'.repeat(256),
          wrappedKey: 'A'.repeat(80),
          statusToken: 'A'.repeat(43),
          maxGuesses: 11,
        })
      ).status,
    ).toBe(400)
    expect(
      (
        await post(node.url, '/v1/login/start', {
          recordId: id,
          startLoginRequest: 'A'.repeat(200_000),
        })
      ).status,
    ).toBe(413)
    // A replayed login finish: the first use consumed it.
    const start = await loginStart(node.url, id, 'pw')
    const finish = { loginId: start.body.loginId, finishLoginRequest: 'A'.repeat(86) }
    expect((await post(node.url, '/v1/login/finish', finish)).status).toBe(401)
    expect((await post(node.url, '/v1/login/finish', finish)).status).toBe(401)
    expect(
      (
        await post(node.url, '/v1/login/finish', {
          loginId: 'A'.repeat(22),
          finishLoginRequest: 'A'.repeat(86),
        })
      ).body.error,
    ).toBe('login_expired')
    expect((await fetch(new URL('/healthz', node.url))).status).toBe(200)
    expect(await (await fetch(new URL('/readyz', node.url))).json()).toMatchObject({
      status: 'ready',
      store: 'sqlite',
      hsm: 'pkcs11',
    })
    // A wrong auth token changes nothing.
    expect(
      (await post(node.url, '/v1/delete', { recordId: id, authToken: 'A'.repeat(43) })).status,
    ).toBe(403)
    expect(Buffer.from(await client.recover(id, 'pw')).length).toBe(32)
  })

  it('counts a guess before answering: a node killed mid-login keeps it counted', async () => {
    const client = fastClient(node.url)
    const id = await client.register('pw', randomBytes(32))
    expect((await loginStart(node.url, id, 'pw')).status).toBe(200)
    await node.kill() // before the login finishes
    expect(guessesOf(id)).toBe(1)
    node = await startVaultNode(nodeEnv(false))
    expect(guessesOf(id)).toBe(1)
    await expectCode(fastClient(node.url).recover(id, 'wrong'), 'VAULT_WRONG_PASSWORD')
    expect(guessesOf(id)).toBe(2)
  })

  it('keeps no password, key or OPAQUE secret in its database or its logs', async () => {
    const client = fastClient(node.url)
    const password = `hunter2-${randomBytes(6).toString('hex')}`
    const key = randomBytes(32)
    const id = await client.register(password, key)
    await client.recover(id, password)
    await expectCode(client.recover(id, `${password}x`), 'VAULT_WRONG_PASSWORD')
    const needles = [
      Buffer.from(password),
      key,
      Buffer.from(key.toString('hex')),
      Buffer.from(key.toString('base64')),
      Buffer.from(key.toString('base64url')),
    ]
    const haystacks: [string, Buffer][] = readdirSync(dataDir).map((f) => [
      f,
      readFileSync(join(dataDir, f)),
    ])
    haystacks.push(['logs', Buffer.from(node.logs())])
    for (const [name, hay] of haystacks) {
      for (const needle of needles)
        expect(hay.includes(needle), `${name} contains a secret`).toBe(false)
    }
    expect(node.logs()).toMatch(/guess counted/)
    expect(node.logs()).not.toContain(id) // records appear as short tags only
  })
})

describe('vault rate limits', () => {
  it('limits requests per client address and login attempts per record, answering 429 and staying up', async () => {
    const limited = await startVaultNode({
      CAIRN_VAULT_DATABASE: `sqlite:${join(tempDir(), 'limits.sqlite')}`,
      CAIRN_VAULT_DEV_KEY_FILE: join(tempDir(), 'dev.key'),
      CAIRN_VAULT_RATE_PER_IP: '1000',
      CAIRN_VAULT_RATE_PER_RECORD: '3',
      CAIRN_VAULT_GUESS_DELAY: '0',
    })
    try {
      const id = await fastClient(limited.url).register('pw', randomBytes(32))
      const attempts = []
      for (let i = 0; i < 5; i++) attempts.push((await loginStart(limited.url, id, 'wrong')).status)
      expect(attempts).toEqual([200, 200, 200, 429, 429])
      const error = await expectCode(
        fastClient(limited.url).recover(id, 'pw'),
        'VAULT_RATE_LIMITED',
      )
      expect(error.message).toMatch(/Wait a minute and try again/)
    } finally {
      await limited.stop()
    }
    const perIp = await startVaultNode({
      CAIRN_VAULT_DATABASE: `sqlite:${join(tempDir(), 'ip.sqlite')}`,
      CAIRN_VAULT_DEV_KEY_FILE: join(tempDir(), 'dev.key'),
      CAIRN_VAULT_RATE_PER_IP: '4',
    })
    try {
      const statuses = []
      for (let i = 0; i < 6; i++) {
        const answer = await post(perIp.url, '/v1/status', {
          recordId: randomBytes(16).toString('hex'),
          statusToken: randomBytes(32).toString('base64url'),
        })
        statuses.push(answer.status)
      }
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429])
    } finally {
      await perIp.stop()
    }
  })
})

describe('vault client failures', () => {
  it('says when the vault cannot be reached', async () => {
    const port = await freePort()
    const error = await expectCode(
      fastClient(`http://127.0.0.1:${port}`).recover('0'.repeat(32), 'pw'),
      'VAULT_UNREACHABLE',
    )
    expect(error.message).toMatch(
      /Cannot reach the Backup Key Vault at http:\/\/127\.0\.0\.1:\d+ \(nothing answers there\)/,
    )
    expect(() => new VaultClient({ url: 'ftp://x' })).toThrow(/must start with https:\/\//)
  })

  it('speaks TLS, and refuses a vault whose certificate it does not trust', async () => {
    const tls = selfSignedCertificate()
    const secure = await startVaultNode({
      CAIRN_VAULT_DATABASE: `sqlite:${join(tempDir(), 'tls.sqlite')}`,
      CAIRN_VAULT_DEV_KEY_FILE: join(tempDir(), 'dev.key'),
      CAIRN_VAULT_TLS_CERT: tls.cert,
      CAIRN_VAULT_TLS_KEY: tls.key,
    })
    try {
      expect(secure.url).toMatch(/^https:/)
      expect(secure.logs()).toMatch(/DEVELOPMENT VAULT: NO HSM CONFIGURED/)
      const error = await expectCode(
        fastClient(secure.url).register('pw', randomBytes(32)),
        'VAULT_UNREACHABLE',
      )
      expect(error.message).toMatch(/could not prove who it is/)
      const trusted = fastClient(secure.url, tls.certPem)
      const key = randomBytes(32)
      const id = await trusted.register('pw', key)
      expect(Buffer.from(await trusted.recover(id, 'pw')).equals(key)).toBe(true)
    } finally {
      await secure.stop()
    }
  })

  it('detects a response altered on the way and keeps nothing from it', async () => {
    const client = fastClient(node.url)
    const id = await client.register('pw', randomBytes(32))
    // A middlebox that flips one byte of the sealed key in login answers.
    const proxy = await startProxy({
      target: () => node.url,
      rewrite: (path, status, body) => {
        if (path !== '/v1/login/finish' || status !== 200) return body
        const json = JSON.parse(body) as { sealedKey: string }
        const bytes = Buffer.from(json.sealedKey, 'base64')
        bytes[20] = (bytes[20] as number) ^ 1
        return JSON.stringify({ ...json, sealedKey: bytes.toString('base64') })
      },
    })
    try {
      const via = new VaultClient({ url: proxy.url, keyStretching: FAST_KSF })
      const error = await expectCode(via.recover(id, 'pw'), 'VAULT_TAMPERED')
      expect(error.message).toMatch(/altered on the way/)
    } finally {
      await proxy.close()
    }
  })
})
