/**
 * npm run bench:vault — one Backup Key Vault node (SQLite, SoftHSM2 when
 * installed) under logins. Prints: server-side latency of a login (start +
 * finish, from the node's own timings), the node's CPU time per login,
 * end-to-end login latency with the default argon2id stretching, and logins
 * per second for one node under concurrent load.
 * Targets (issue 4): server CPU per login ≤ 5 ms; ≥ 200 logins/s per node.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { VaultClient } from '../main/vault/client.js'
import { fmt, percentile, printTable } from './support.js'

const FAST = { 'argon2id-custom': { memory: 8, iterations: 1, parallelism: 1 } } as const
const work = mkdtempSync(join(tmpdir(), 'cairn-bench-vault-'))

function softHsmEnv(): Record<string, string> {
  const module = '/usr/lib/softhsm/libsofthsm2.so'
  if (!existsSync(module)) return { CAIRN_VAULT_DEV_KEY_FILE: join(work, 'dev.key') }
  mkdirSync(join(work, 'tokens'))
  const conf = join(work, 'softhsm2.conf')
  writeFileSync(
    conf,
    `directories.tokendir = ${work}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n`,
  )
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', 'bench', '--so-pin', '5678', '--pin', '1234'],
    {
      env: { ...process.env, SOFTHSM2_CONF: conf },
      stdio: 'pipe',
    },
  )
  return {
    SOFTHSM2_CONF: conf,
    CAIRN_VAULT_PKCS11_MODULE: module,
    CAIRN_VAULT_PKCS11_TOKEN: 'bench',
    CAIRN_VAULT_PKCS11_PIN: '1234',
    CAIRN_VAULT_PKCS11_CREATE_KEY: '1',
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** CPU time (user + system) a process has used, in milliseconds (Linux /proc). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  const ticks = Number(fields[11]) + Number(fields[12])
  return (ticks * 1000) / Number(execFileSync('getconf', ['CLK_TCK']).toString())
}

async function main(): Promise<void> {
  const port = await freePort()
  const env = softHsmEnv()
  const node = spawn(process.execPath, [join(import.meta.dirname, 'vault-server.js')], {
    env: {
      ...process.env,
      ...env,
      CAIRN_VAULT_LISTEN: `127.0.0.1:${port}`,
      CAIRN_VAULT_DATABASE: `sqlite:${join(work, 'vault.sqlite')}`,
      CAIRN_VAULT_RATE_PER_IP: '100000000',
      CAIRN_VAULT_RATE_PER_RECORD: '100000000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let logs = ''
  node.stdout.on('data', (d: Buffer) => (logs += d.toString()))
  node.stderr.on('data', () => undefined)
  while (!logs.includes('vault listening')) await new Promise((r) => setTimeout(r, 50))
  const url = `http://127.0.0.1:${port}`
  try {
    const fast = new VaultClient({ url, keyStretching: FAST })
    const id = await fast.register('bench password', randomBytes(32))
    for (let i = 0; i < 20; i++) await fast.recover(id, 'bench password') // warm up

    // Sequential logins: the node's own timings per request, and its CPU per login.
    logs = ''
    const sequential = 300
    const cpuBefore = cpuMs(node.pid as number)
    for (let i = 0; i < sequential; i++) await fast.recover(id, 'bench password')
    const cpuPerLogin = (cpuMs(node.pid as number) - cpuBefore) / sequential
    const timings = new Map<string, number[]>()
    for (const line of logs.split('\n')) {
      const match = /"route":"(\/v1\/login\/(?:start|finish))","status":200,"ms":([\d.]+)/.exec(
        line,
      )
      if (match)
        timings.set(match[1] as string, [
          ...(timings.get(match[1] as string) ?? []),
          Number(match[2]),
        ])
    }
    const starts = timings.get('/v1/login/start') ?? []
    const finishes = timings.get('/v1/login/finish') ?? []
    const serverPerLogin = starts.map((s, i) => s + (finishes[i] ?? 0)).sort((a, b) => a - b)

    // End to end with the real (default) argon2id stretching.
    const real = new VaultClient({ url })
    const realId = await real.register('bench password', randomBytes(32))
    const endToEnd: number[] = []
    for (let i = 0; i < 15; i++) {
      const started = performance.now()
      await real.recover(realId, 'bench password')
      endToEnd.push(performance.now() - started)
    }
    endToEnd.sort((a, b) => a - b)

    // Throughput: concurrent logins for a few seconds (the clients run on the same 2 cores),
    // each client its own record, as users are: one record's concurrent login starts would
    // count as guesses in a row and meet the vault's spacing between guesses.
    const concurrency = 32
    const records = await Promise.all(
      Array.from({ length: concurrency }, () => fast.register('bench password', randomBytes(32))),
    )
    const deadline = Date.now() + 5000
    let done = 0
    const throughputCpuBefore = cpuMs(node.pid as number)
    const started = Date.now()
    await Promise.all(
      records.map(async (record) => {
        while (Date.now() < deadline) {
          await fast.recover(record, 'bench password')
          done++
        }
      }),
    )
    const seconds = (Date.now() - started) / 1000
    const cpuPerLoginLoaded = (cpuMs(node.pid as number) - throughputCpuBefore) / done

    printTable(
      `Backup Key Vault benchmark: one node, SQLite, ${env.CAIRN_VAULT_PKCS11_MODULE ? 'SoftHSM2' : 'software sealing (no SoftHSM2 found)'}`,
      ['measure', 'vault', 'target'],
      [
        [
          'server time per login, p50 (ms, start + finish)',
          fmt(percentile(serverPerLogin, 50), 2),
          '',
        ],
        ['server time per login, p99 (ms)', fmt(percentile(serverPerLogin, 99), 2), ''],
        ['server CPU per login (ms, sequential)', fmt(cpuPerLogin, 2), '≤ 5'],
        ['server CPU per login (ms, under load)', fmt(cpuPerLoginLoaded, 2), '≤ 5'],
        ['end-to-end login, default argon2id, p50 (ms)', fmt(percentile(endToEnd, 50), 0), ''],
        ['end-to-end login, default argon2id, p99 (ms)', fmt(percentile(endToEnd, 99), 0), ''],
        [
          `logins per second, one node (${concurrency} concurrent clients)`,
          fmt(done / seconds, 0),
          '≥ 200',
        ],
      ],
    )
    console.log(
      "\nThe load clients share the machine's 2 cores with the node; server CPU per login bounds what one core can serve.",
    )
  } finally {
    node.kill('SIGTERM')
    await new Promise((r) => node.once('exit', r))
    rmSync(work, { recursive: true, force: true })
  }
}

await main()
