import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname, resolve } from 'node:path'
import { z } from 'zod'

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
  loginTtlSeconds: z.number().int().min(5).default(60),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('info'),
})

export type VaultConfig = z.infer<typeof configSchema>

export function loadConfig(env: NodeJS.ProcessEnv = process.env): VaultConfig {
  const file = env.CAIRN_VAULT_CONFIG
    ? (JSON.parse(readFileSync(env.CAIRN_VAULT_CONFIG, 'utf8')) as Record<string, unknown>)
    : {}
  const fromEnv: Record<string, unknown> = {}
  if (env.CAIRN_VAULT_LISTEN) {
    const [host, port] = env.CAIRN_VAULT_LISTEN.split(/:(?=\d+$)/)
    fromEnv.listen = { host, port: Number(port) }
  }
  if (env.CAIRN_VAULT_TLS_CERT || env.CAIRN_VAULT_TLS_KEY)
    fromEnv.tls = { cert: env.CAIRN_VAULT_TLS_CERT, key: env.CAIRN_VAULT_TLS_KEY }
  if (env.CAIRN_VAULT_DATABASE) fromEnv.database = env.CAIRN_VAULT_DATABASE
  if (env.CAIRN_VAULT_PKCS11_MODULE) {
    fromEnv.pkcs11 = {
      module: env.CAIRN_VAULT_PKCS11_MODULE,
      tokenLabel: env.CAIRN_VAULT_PKCS11_TOKEN,
      pin: env.CAIRN_VAULT_PKCS11_PIN,
      ...(env.CAIRN_VAULT_PKCS11_KEY_LABEL ? { keyLabel: env.CAIRN_VAULT_PKCS11_KEY_LABEL } : {}),
      createKey: env.CAIRN_VAULT_PKCS11_CREATE_KEY === '1',
    }
  }
  if (env.CAIRN_VAULT_DEV_KEY_FILE) fromEnv.devKeyFile = env.CAIRN_VAULT_DEV_KEY_FILE
  if (env.CAIRN_VAULT_RATE_PER_IP || env.CAIRN_VAULT_RATE_PER_RECORD) {
    fromEnv.limits = {
      ...(env.CAIRN_VAULT_RATE_PER_IP
        ? { perIpPerMinute: Number(env.CAIRN_VAULT_RATE_PER_IP) }
        : {}),
      ...(env.CAIRN_VAULT_RATE_PER_RECORD
        ? { loginsPerRecordPerMinute: Number(env.CAIRN_VAULT_RATE_PER_RECORD) }
        : {}),
    }
  }
  if (env.CAIRN_VAULT_LOGIN_TTL) fromEnv.loginTtlSeconds = Number(env.CAIRN_VAULT_LOGIN_TTL)
  if (env.CAIRN_VAULT_LOG_LEVEL) fromEnv.logLevel = env.CAIRN_VAULT_LOG_LEVEL
  const parsed = configSchema.safeParse({ ...file, ...fromEnv })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`Invalid vault configuration: ${issue?.path.join('.')}: ${issue?.message}`)
  }
  return parsed.data
}

/** The development sealing key, created on first use. */
export function devSealingKey(file: string): Buffer {
  const path = resolve(file)
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, randomBytes(32), { mode: 0o600 })
  }
  return readFileSync(path)
}
