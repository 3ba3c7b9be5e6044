import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import { resolve } from 'node:path'
import { z } from 'zod'
import { privateFile, privateFolderFor } from './private-files.js'

/** An IP address or a CIDR block (10.0.0.0/8, fd00::/8). */
const addressOrBlock = z.string().refine((entry) => {
  const [address, prefix, ...rest] = entry.split('/')
  const family = isIP(address ?? '')
  if (!family || rest.length > 0) return false
  if (prefix === undefined) return true
  const bits = Number(prefix)
  return /^\d+$/.test(prefix) && bits <= (family === 4 ? 32 : 128)
}, 'a trusted proxy is an IP address or a CIDR block (like 10.0.0.0/8)')

const seconds = z.number().positive()

/**
 * The vault's settings: a JSON file (CAIRN_VAULT_CONFIG) and/or environment
 * variables (which win). Without any, it runs as a development vault: SQLite
 * in ./vault-data and a software sealing key, with a loud warning.
 */
export const configSchema = z.object({
  listen: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8443),
    })
    .default({ host: '127.0.0.1', port: 8443 }),
  tls: z.object({ cert: z.string(), key: z.string() }).nullable().default(null),
  /**
   * Serve plain HTTP on an address other than loopback (a TLS front end on
   * another machine of a private network). Off: the vault refuses to start.
   */
  insecureHttp: z.boolean().default(false),
  /** sqlite:/path/vault.sqlite, or postgres://… for several nodes. */
  database: z.string().default('sqlite:vault-data/vault.sqlite'),
  pkcs11: z
    .object({
      module: z.string(),
      tokenLabel: z.string(),
      pin: z.string(),
      keyLabel: z.string().default('cairn-vault-seal'),
      createKey: z.boolean().default(false),
    })
    .nullable()
    .default(null),
  /** Development only, when there is no HSM: a file holding a 32-byte key (made if missing). */
  devKeyFile: z.string().default('vault-data/dev-seal.key'),
  limits: z
    .object({
      perIpPerMinute: z.number().int().min(1).default(120),
      loginsPerRecordPerMinute: z.number().int().min(1).default(30),
    })
    .default({ perIpPerMinute: 120, loginsPerRecordPerMinute: 30 }),
  /**
   * Spacing between wrong passwords (see docs/vault.md): the first
   * `freeGuesses` come at once; after the n-th the next waits
   * baseDelaySeconds · 2^(n − freeGuesses). 0 turns spacing off (tests only).
   */
  guessSpacing: z
    .object({
      freeGuesses: z.number().int().min(0).max(10).default(3),
      baseDelaySeconds: z.number().int().min(0).max(86_400).default(900),
    })
    .default({ freeGuesses: 3, baseDelaySeconds: 900 }),
  /**
   * Addresses of the TLS front ends whose X-Forwarded-For the vault
   * believes. Empty (the default): the client is the socket's address.
   */
  trustedProxies: z.array(addressOrBlock).default([]),
  /** Slow or idle clients are cut off; seconds. */
  timeouts: z
    .object({
      /** Until a request's headers are in. */
      headers: seconds.default(10),
      /** Until a whole request (headers and body) is in. */
      request: seconds.default(20),
      /** An idle keep-alive connection between requests. */
      keepAlive: seconds.default(5),
      /** A socket with no traffic at all. */
      idle: seconds.default(30),
    })
    .default({ headers: 10, request: 20, keepAlive: 5, idle: 30 })
    .refine((t) => t.headers <= t.request, 'timeouts.headers must not exceed timeouts.request'),
  /** Open connections per node, and per client address (0: no per-address cap). */
  maxConnections: z.number().int().min(1).default(1024),
  maxConnectionsPerAddress: z.number().int().min(0).default(64),
  loginTtlSeconds: z.number().int().min(5).default(60),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('info'),
})

export type VaultConfig = z.infer<typeof configSchema>

/** Environment variables that set one number each: name → path in the settings. */
const NUMBER_VARIABLES: [string, string[]][] = [
  ['CAIRN_VAULT_RATE_PER_IP', ['limits', 'perIpPerMinute']],
  ['CAIRN_VAULT_RATE_PER_RECORD', ['limits', 'loginsPerRecordPerMinute']],
  ['CAIRN_VAULT_FREE_GUESSES', ['guessSpacing', 'freeGuesses']],
  ['CAIRN_VAULT_GUESS_DELAY', ['guessSpacing', 'baseDelaySeconds']],
  ['CAIRN_VAULT_HEADERS_TIMEOUT', ['timeouts', 'headers']],
  ['CAIRN_VAULT_REQUEST_TIMEOUT', ['timeouts', 'request']],
  ['CAIRN_VAULT_KEEPALIVE_TIMEOUT', ['timeouts', 'keepAlive']],
  ['CAIRN_VAULT_IDLE_TIMEOUT', ['timeouts', 'idle']],
  ['CAIRN_VAULT_MAX_CONNECTIONS', ['maxConnections']],
  ['CAIRN_VAULT_MAX_CONNECTIONS_PER_ADDRESS', ['maxConnectionsPerAddress']],
  ['CAIRN_VAULT_LOGIN_TTL', ['loginTtlSeconds']],
]

export function loadConfig(env: NodeJS.ProcessEnv = process.env): VaultConfig {
  const settings: Record<string, unknown> = env.CAIRN_VAULT_CONFIG
    ? (JSON.parse(readFileSync(env.CAIRN_VAULT_CONFIG, 'utf8')) as Record<string, unknown>)
    : {}
  const set = (path: string[], value: unknown) => {
    let target = settings
    for (const key of path.slice(0, -1)) {
      const next = target[key]
      target[key] = next && typeof next === 'object' ? { ...(next as object) } : {}
      target = target[key] as Record<string, unknown>
    }
    target[path[path.length - 1] as string] = value
  }
  if (env.CAIRN_VAULT_LISTEN) {
    const [host, port] = env.CAIRN_VAULT_LISTEN.split(/:(?=\d+$)/)
    set(['listen'], { host, port: Number(port) })
  }
  if (env.CAIRN_VAULT_TLS_CERT || env.CAIRN_VAULT_TLS_KEY)
    set(['tls'], { cert: env.CAIRN_VAULT_TLS_CERT, key: env.CAIRN_VAULT_TLS_KEY })
  if (env.CAIRN_VAULT_INSECURE_HTTP !== undefined)
    set(['insecureHttp'], env.CAIRN_VAULT_INSECURE_HTTP === '1')
  if (env.CAIRN_VAULT_DATABASE) set(['database'], env.CAIRN_VAULT_DATABASE)
  if (env.CAIRN_VAULT_PKCS11_MODULE) {
    set(['pkcs11'], {
      module: env.CAIRN_VAULT_PKCS11_MODULE,
      tokenLabel: env.CAIRN_VAULT_PKCS11_TOKEN,
      pin: env.CAIRN_VAULT_PKCS11_PIN,
      ...(env.CAIRN_VAULT_PKCS11_KEY_LABEL ? { keyLabel: env.CAIRN_VAULT_PKCS11_KEY_LABEL } : {}),
      createKey: env.CAIRN_VAULT_PKCS11_CREATE_KEY === '1',
    })
  }
  if (env.CAIRN_VAULT_DEV_KEY_FILE) set(['devKeyFile'], env.CAIRN_VAULT_DEV_KEY_FILE)
  if (env.CAIRN_VAULT_TRUSTED_PROXIES !== undefined)
    set(
      ['trustedProxies'],
      env.CAIRN_VAULT_TRUSTED_PROXIES.split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
  for (const [name, path] of NUMBER_VARIABLES) {
    const value = env[name]
    if (value !== undefined && value !== '') set(path, Number(value))
  }
  if (env.CAIRN_VAULT_LOG_LEVEL) set(['logLevel'], env.CAIRN_VAULT_LOG_LEVEL)
  const parsed = configSchema.safeParse(settings)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`Invalid vault configuration: ${issue?.path.join('.')}: ${issue?.message}`)
  }
  return parsed.data
}

/** The development sealing key, created on first use: 0600, in a 0700 folder when the vault makes it. */
export function devSealingKey(file: string, warn: (message: string) => void = () => {}): Buffer {
  const path = resolve(file)
  const folderWarning = privateFolderFor(path)
  if (folderWarning) warn(folderWarning)
  if (!existsSync(path)) {
    try {
      writeFileSync(path, randomBytes(32), { mode: 0o600, flag: 'wx' })
    } catch (error) {
      // Another node made it at the same moment: use that one.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
  privateFile(path)
  return readFileSync(path)
}
