import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isCairnError } from '../../main/shared/errors'
import { startProxy } from '../support/http-proxy'
import { usePostgres } from '../support/postgres'
import { initSoftHsm, type SoftHsm } from '../support/softhsm'
import { fastClient, loginStart } from '../support/vault-client'
import { startVaultNode, type VaultNode } from '../support/vault'

/** Preloaded into a node to skew its clock (see the file). */
const SKEWED_CLOCK = join(import.meta.dirname, '..', 'support', 'skewed-clock.mjs')

let hsm: SoftHsm
let database: Awaited<ReturnType<typeof usePostgres>>
let nodes: VaultNode[] = []

const nodeEnv = (createKey: boolean) => ({
  ...hsm.env,
  CAIRN_VAULT_DATABASE: database.url,
  CAIRN_VAULT_PKCS11_MODULE: hsm.module,
  CAIRN_VAULT_PKCS11_TOKEN: hsm.tokenLabel,
  CAIRN_VAULT_PKCS11_PIN: hsm.pin,
  CAIRN_VAULT_PKCS11_CREATE_KEY: createKey ? '1' : '0',
  CAIRN_VAULT_RATE_PER_IP: '1000000',
  CAIRN_VAULT_RATE_PER_RECORD: '1000000',
  CAIRN_VAULT_GUESS_DELAY: '0',
  // The tests below open hundreds of connections from one address at once.
  CAIRN_VAULT_MAX_CONNECTIONS_PER_ADDRESS: '0',
})

beforeAll(async () => {
  hsm = initSoftHsm()
  database = await usePostgres()
  // The first node makes the HSM key and the schema; two more join it.
  nodes = [await startVaultNode(nodeEnv(true))]
  nodes.push(
    ...(await Promise.all([startVaultNode(nodeEnv(false)), startVaultNode(nodeEnv(false))])),
  )
}, 120_000)
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)))
  await database?.stop()
  hsm?.remove()
})

async function guesses(id: string): Promise<number | null> {
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  try {
    const row = (
      await client.query<{ guesses: number }>('SELECT guesses FROM vault_records WHERE id = $1', [
        id,
      ])
    ).rows[0]
    return row?.guesses ?? null
  } finally {
    await client.end()
  }
}

describe('Backup Key Vault on three nodes sharing PostgreSQL', () => {
  it('300 concurrent wrong-password logins over three nodes: exactly 10 counted, then the key is destroyed', async () => {
    const id = await fastClient(nodes[0]?.url as string).register('the right one', randomBytes(32))
    const attempts = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        loginStart(nodes[i % 3]?.url as string, id, `wrong ${i}`),
      ),
    )
    const statuses = attempts.map((a) => a.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(10)
    expect(statuses.filter((s) => s === 410)).toHaveLength(290)
    expect(attempts.find((a) => a.status === 410)?.body.error).toBe('record_destroyed')
    expect(await guesses(id)).toBeNull()
    for (const node of nodes) {
      const error = await fastClient(node.url)
        .recover(id, 'the right one')
        .catch((e: unknown) => e)
      expect(isCairnError(error, 'VAULT_KEY_DESTROYED')).toBe(true)
    }
  }, 120_000)

  it('guess spacing holds exactly across three nodes: early attempts on every node are refused uncounted, then exactly one is counted', async () => {
    // Three more nodes on the same database, with spacing on: 3 free guesses, then 5 s doubling
    // (long enough that a burst on a loaded machine ends inside the wait).
    const spaced = await Promise.all(
      [0, 1, 2].map(() => startVaultNode({ ...nodeEnv(false), CAIRN_VAULT_GUESS_DELAY: '5' })),
    )
    try {
      const key = randomBytes(32)
      const id = await fastClient(spaced[0]?.url as string).register('right', key)
      for (let i = 0; i < 3; i++)
        expect((await loginStart(spaced[i]?.url as string, id, `wrong ${i}`)).status).toBe(200)
      const burst = () =>
        Promise.all(
          Array.from({ length: 60 }, (_, i) =>
            loginStart(spaced[i % 3]?.url as string, id, `burst ${i}`),
          ),
        )
      const early = await burst()
      expect(early.map((a) => a.status)).toEqual(Array(60).fill(429))
      expect(early.every((a) => a.body.error === 'try_later')).toBe(true)
      expect(await guesses(id)).toBe(3)
      await new Promise((resolve) => setTimeout(resolve, 5100))
      const onTime = await burst()
      expect(onTime.filter((a) => a.status === 200)).toHaveLength(1)
      expect(onTime.filter((a) => a.status === 429)).toHaveLength(59)
      expect(await guesses(id)).toBe(4)
      // The next wait is twice as long, whichever node is asked.
      const next = await loginStart(spaced[2]?.url as string, id, 'next')
      expect(next.body.retryAfterSeconds).toBeGreaterThan(5)
      expect(next.body.retryAfterSeconds).toBeLessThanOrEqual(10)
      expect(await fastClient(spaced[1]?.url as string).status(id, key)).toMatchObject({
        state: 'active',
        guessesUsed: 4,
      })
    } finally {
      await Promise.all(spaced.map((n) => n.stop()))
    }
  }, 60_000)

  it('9 wrong then the right one, across nodes: works and resets the count', async () => {
    const key = randomBytes(32)
    const id = await fastClient(nodes[1]?.url as string).register('right', key)
    for (let i = 0; i < 9; i++) {
      const error = await fastClient(nodes[i % 3]?.url as string)
        .recover(id, `wrong ${i}`)
        .catch((e: unknown) => e)
      expect(isCairnError(error, 'VAULT_WRONG_PASSWORD')).toBe(true)
    }
    expect(await guesses(id)).toBe(9)
    expect(
      Buffer.from(await fastClient(nodes[2]?.url as string).recover(id, 'right')).equals(key),
    ).toBe(true)
    expect(await guesses(id)).toBe(0)
  })

  it('a login started on one node finishes on another', async () => {
    const key = randomBytes(32)
    const id = await fastClient(nodes[0]?.url as string).register('pw', key)
    // Route the client's two requests to different nodes through a round-robin front end.
    let turn = 0
    const front = await startProxy({ target: () => nodes[turn++ % 3]?.url as string })
    try {
      expect(Buffer.from(await fastClient(front.url).recover(id, 'pw')).equals(key)).toBe(true)
      expect(turn).toBeGreaterThanOrEqual(2)
    } finally {
      await front.close()
    }
  })

  it("nodes whose clocks are 10 minutes off finish each other's registrations, logins and password changes", async () => {
    // The database keeps the time: a node whose clock drifted must not end (or stretch)
    // another node's 60 s logins, 5 min tokens and registration tickets.
    for (const skewMs of [10 * 60_000, -10 * 60_000]) {
      const skewed = await startVaultNode({
        ...nodeEnv(false),
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${SKEWED_CLOCK}`.trim(),
        CAIRN_TEST_CLOCK_SKEW_MS: String(skewMs),
      })
      // Every request goes to the other node than the one before: start on one, finish on the other.
      let turn = 0
      let onSkewed = 0
      const pair = [nodes[0] as VaultNode, skewed]
      const front = await startProxy({
        target: () => {
          const node = pair[turn++ % 2] as VaultNode
          if (node === skewed) onSkewed++
          return node.url
        },
      })
      try {
        const key = randomBytes(32)
        const client = fastClient(front.url)
        const id = await client.register('first', key)
        expect(Buffer.from(await client.recover(id, 'first')).equals(key), `${skewMs}`).toBe(true)
        turn = 1
        expect(Buffer.from(await client.recover(id, 'first')).equals(key), `${skewMs}`).toBe(true)
        turn = 0
        await client.changePassword(id, 'first', 'second')
        turn = 1
        await client.changePassword(id, 'second', 'third')
        expect(Buffer.from(await client.recover(id, 'third')).equals(key), `${skewMs}`).toBe(true)
        // Each of the 5 exchanges had a step on the skewed node (register 1, recover 1, change 2).
        expect(onSkewed).toBeGreaterThanOrEqual(8)
      } finally {
        await front.close()
        await skewed.stop()
      }
    }
  }, 120_000)

  it('a node killed in the middle of a login leaves the guess counted', async () => {
    const id = await fastClient(nodes[0]?.url as string).register('pw', randomBytes(32))
    const victim = nodes[2] as VaultNode
    expect((await loginStart(victim.url, id, 'pw')).status).toBe(200)
    await victim.kill()
    expect(await guesses(id)).toBe(1)
    nodes[2] = await startVaultNode(nodeEnv(false))
    const error = await fastClient(nodes[2].url)
      .recover(id, 'wrong')
      .catch((e: unknown) => e)
    expect(isCairnError(error, 'VAULT_WRONG_PASSWORD')).toBe(true)
    expect(await guesses(id)).toBe(2)
  })

  it('keeps no password or key in the shared database', async () => {
    const password = `pw-${randomBytes(6).toString('hex')}`
    const key = randomBytes(32)
    const id = await fastClient(nodes[0]?.url as string).register(password, key)
    await fastClient(nodes[1]?.url as string).recover(id, password)
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      const dump = JSON.stringify(
        await Promise.all(
          ['vault_config', 'vault_records', 'vault_logins', 'vault_tokens', 'vault_destroyed'].map(
            async (t) => (await client.query(`SELECT * FROM ${t}`)).rows,
          ),
        ),
        (_k, v: unknown) =>
          v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
            ? Buffer.from((v as { data: number[] }).data).toString('latin1')
            : v,
      )
      for (const needle of [
        password,
        key.toString('latin1'),
        key.toString('hex'),
        key.toString('base64'),
      ]) {
        expect(dump.includes(needle)).toBe(false)
      }
    } finally {
      await client.end()
    }
    for (const node of nodes) expect(node.logs().includes(password)).toBe(false)
  })
})
