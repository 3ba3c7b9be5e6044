import { client as opaqueClient, ready } from '@serenity-kit/opaque'
import { randomBytes } from 'node:crypto'
import { Agent, request } from 'node:http'
import { mkdtempSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fastClient } from '../support/vault-client'
import { devNodeEnv, startVaultNode, type VaultNode } from '../support/vault'

// Issue 8, points 4 and 5: slow and idle clients are cut off, connections are capped and
// closed after a 429; the per-address limit sees the real client behind a trusted front end,
// and health checks are never limited.

const nodes: VaultNode[] = []
async function node(extra: Record<string, string>): Promise<VaultNode> {
  const started = await startVaultNode(
    devNodeEnv(mkdtempSync(join(tmpdir(), 'cairn-vault-conn-')), extra),
  )
  nodes.push(started)
  return started
}
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()))
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const portOf = (url: string) => Number(new URL(url).port)

interface Tracked {
  socket: Socket
  openedAt: number
  closedAt: number | null
  received: string
}

/** A raw TCP client that the test drives byte by byte, noting when the server hangs up. */
async function open(url: string): Promise<Tracked> {
  const socket = connect(portOf(url), '127.0.0.1')
  const tracked: Tracked = { socket, openedAt: Date.now(), closedAt: null, received: '' }
  socket.on('data', (d: Buffer) => (tracked.received += d.toString()))
  socket.on('error', () => undefined)
  socket.on('close', () => (tracked.closedAt = Date.now()))
  await new Promise<void>((resolve) => {
    socket.once('connect', () => resolve())
    socket.once('close', () => resolve())
  })
  return tracked
}

/** Send `text` one byte every `everyMs` until the server hangs up or `forMs` is over. */
function trickle(client: Tracked, text: string, everyMs: number, forMs: number): Promise<void> {
  return new Promise((resolve) => {
    let at = 0
    const timer = setInterval(() => {
      if (client.closedAt !== null || Date.now() - client.openedAt > forMs) {
        clearInterval(timer)
        resolve()
        return
      }
      client.socket.write(text[at % text.length] as string)
      at++
    }, everyMs)
  })
}

/** A login start for an id no record has (it spends no one's guess). */
async function strangerBody(): Promise<string> {
  await ready
  return JSON.stringify({
    recordId: randomBytes(16).toString('hex'),
    startLoginRequest: opaqueClient.startLogin({ password: 'x' }).startLoginRequest,
  })
}

/** One ordinary API request, as from `forwardedFor` if given. */
async function apiCall(url: string, forwardedFor?: string): Promise<number> {
  const response = await fetch(new URL('/v1/login/start', url), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
    },
    body: await strangerBody(),
  })
  await response.text()
  return response.status
}

describe('slow and idle clients are cut off (point 4)', () => {
  let timed: VaultNode
  beforeAll(async () => {
    timed = await node({
      CAIRN_VAULT_HEADERS_TIMEOUT: '1',
      CAIRN_VAULT_REQUEST_TIMEOUT: '2',
      CAIRN_VAULT_KEEPALIVE_TIMEOUT: '1',
      CAIRN_VAULT_IDLE_TIMEOUT: '5',
    })
  })

  it('50 clients trickling a body a byte a second are cut off within the request timeout, while others are served', async () => {
    const clients = await Promise.all(Array.from({ length: 50 }, () => open(timed.url)))
    for (const client of clients)
      client.socket.write(
        'POST /v1/login/start HTTP/1.1\r\nHost: vault\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
      )
    const trickling = Promise.all(clients.map((c) => trickle(c, '"aaaa', 1000, 8000)))
    // Meanwhile, others get answers.
    await sleep(500)
    expect((await fetch(new URL('/healthz', timed.url))).status).toBe(200)
    const id = await fastClient(timed.url).register('pw', randomBytes(32))
    expect(Buffer.from(await fastClient(timed.url).recover(id, 'pw')).length).toBe(32)
    await trickling
    for (const client of clients) {
      expect(client.closedAt, 'still open after 8 s').not.toBeNull()
      // 2 s request timeout, checked every 250 ms, plus slack for a loaded machine.
      expect((client.closedAt as number) - client.openedAt).toBeLessThan(4000)
      expect(client.received).toMatch(/^HTTP\/1\.1 408/)
    }
  }, 20_000)

  it('clients trickling their headers are cut off within the headers timeout', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => open(timed.url)))
    await Promise.all(
      clients.map((c) =>
        trickle(c, 'POST /v1/status HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 200, 6000),
      ),
    )
    for (const client of clients) {
      expect(client.closedAt).not.toBeNull()
      expect((client.closedAt as number) - client.openedAt).toBeLessThan(3000)
    }
  }, 15_000)

  it('an idle kept-alive connection is closed after the keep-alive timeout', async () => {
    const client = await open(timed.url)
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: vault\r\n\r\n')
    const start = Date.now()
    await sleep(4000)
    expect(client.received).toMatch(/^HTTP\/1\.1 200/)
    expect(client.closedAt).not.toBeNull()
    expect((client.closedAt as number) - start).toBeLessThan(3000)
  }, 10_000)
})

describe('connection caps and 429s (point 4)', () => {
  it('refuses connections beyond the cap per client address, and serves again once they close', async () => {
    const capped = await node({ CAIRN_VAULT_MAX_CONNECTIONS_PER_ADDRESS: '10' })
    const clients = await Promise.all(Array.from({ length: 15 }, () => open(capped.url)))
    await sleep(500)
    expect(clients.filter((c) => c.closedAt !== null)).toHaveLength(5)
    for (const client of clients) client.socket.destroy()
    await sleep(200)
    expect((await fetch(new URL('/healthz', capped.url))).status).toBe(200)
  })

  it('refuses connections beyond the node-wide cap', async () => {
    const capped = await node({
      CAIRN_VAULT_MAX_CONNECTIONS: '12',
      CAIRN_VAULT_MAX_CONNECTIONS_PER_ADDRESS: '0',
    })
    const clients = await Promise.all(Array.from({ length: 20 }, () => open(capped.url)))
    await sleep(500)
    expect(clients.filter((c) => c.closedAt !== null)).toHaveLength(8)
    for (const client of clients) client.socket.destroy()
  })

  it('closes the connection after a 429', async () => {
    const limited = await node({ CAIRN_VAULT_RATE_PER_IP: '2' })
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const answers: { status: number; connection: string | undefined; closed: Promise<void> }[] = []
    for (let i = 0; i < 3; i++) {
      const body = await strangerBody()
      answers.push(
        await new Promise((resolve, reject) => {
          const req = request(
            new URL('/v1/login/start', limited.url),
            {
              method: 'POST',
              agent,
              headers: { 'content-type': 'application/json', 'content-length': body.length },
            },
            (res) => {
              const closed = new Promise<void>((done) => res.socket.once('close', () => done()))
              res.resume()
              res.on('end', () =>
                resolve({
                  status: res.statusCode ?? 0,
                  connection: res.headers.connection,
                  closed,
                }),
              )
            },
          )
          req.on('error', reject)
          req.end(body)
        }),
      )
    }
    agent.destroy()
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429])
    expect(answers.map((a) => a.connection)).toEqual(['keep-alive', 'keep-alive', 'close'])
    await answers[2]?.closed // the server hung up (the agent would have kept it)
  })
})

describe('the client address behind a trusted front end; health checks unlimited (point 5)', () => {
  it('believes X-Forwarded-For only from a listed proxy address: each client behind it gets its own bucket', async () => {
    const behindProxy = await node({
      CAIRN_VAULT_RATE_PER_IP: '3',
      CAIRN_VAULT_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8',
    })
    const alice = '203.0.113.7'
    const bob = '203.0.113.8'
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push(await apiCall(behindProxy.url, alice))
    expect(statuses).toEqual([200, 200, 200, 429])
    // Bob, behind the same front end, is not punished for Alice.
    expect(await apiCall(behindProxy.url, bob)).toBe(200)
    // Alice cannot escape by prepending a made-up address: the nearest untrusted one counts.
    expect(await apiCall(behindProxy.url, `198.51.100.1, ${alice}`)).toBe(429)
  })

  it('ignores X-Forwarded-For from addresses that are not listed, and by default', async () => {
    for (const proxies of ['', '10.0.0.0/8']) {
      const direct = await node({
        CAIRN_VAULT_RATE_PER_IP: '3',
        ...(proxies ? { CAIRN_VAULT_TRUSTED_PROXIES: proxies } : {}),
      })
      const statuses = []
      for (let i = 0; i < 4; i++) statuses.push(await apiCall(direct.url, `203.0.113.${i + 20}`))
      expect(statuses, `trusted: "${proxies}"`).toEqual([200, 200, 200, 429])
    }
  })

  it('never rate-limits /healthz and /readyz, nor lets them use up a client’s requests', async () => {
    const limited = await node({ CAIRN_VAULT_RATE_PER_IP: '3' })
    for (let i = 0; i < 20; i++) {
      expect((await fetch(new URL('/healthz', limited.url))).status).toBe(200)
      expect((await fetch(new URL('/readyz', limited.url))).status).toBe(200)
    }
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push(await apiCall(limited.url))
    expect(statuses).toEqual([200, 200, 200, 429])
  })
})
