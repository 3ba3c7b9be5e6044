/**
 * `npm run vault`: the Backup Key Vault server. Settings: see config.ts and
 * docs/vault.md (CAIRN_VAULT_* variables or a JSON file).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { isLoopbackHost } from '../common/loopback.js'
import { buildVaultApp } from './app.js'
import { devSealingKey, loadConfig } from './config.js'
import { pkcs11Sealer } from './hsm/pkcs11-sealer.js'
import type { Sealer } from './hsm/sealer.js'
import { softwareSealer } from './hsm/software-sealer.js'
import { postgresStore } from './store/postgres-store.js'
import { sqliteStore } from './store/sqlite-store.js'
import type { VaultStore } from './store/store.js'

const config = loadConfig()
const warnings: string[] = []

// Plain HTTP only where nothing crosses a network, unless the operator says so in so many words.
const plainHttp = !config.tls
if (plainHttp && !isLoopbackHost(config.listen.host)) {
  if (!config.insecureHttp) {
    console.error(
      [
        `Refusing to serve plain HTTP on ${config.listen.host}: passwords' OPAQUE messages and wrapped keys would cross the network unencrypted.`,
        'Give the vault a certificate (CAIRN_VAULT_TLS_CERT and CAIRN_VAULT_TLS_KEY), listen on 127.0.0.1 behind a TLS front end,',
        'or, for a TLS front end on another machine of a private network, set CAIRN_VAULT_INSECURE_HTTP=1.',
      ].join('\n'),
    )
    process.exit(1)
  }
  console.error(
    [
      '',
      `!!! INSECURE: SERVING PLAIN HTTP ON ${config.listen.host} (CAIRN_VAULT_INSECURE_HTTP=1) !!!`,
      'Only a TLS front end on a private network may talk to this port.',
      '',
    ].join('\n'),
  )
}

function openStore(): VaultStore {
  if (config.database.startsWith('postgres://') || config.database.startsWith('postgresql://'))
    return postgresStore(config.database)
  if (!config.database.startsWith('sqlite:'))
    throw new Error(`Unknown database "${config.database}" (use sqlite:PATH or postgres://…)`)
  return sqliteStore(resolve(config.database.slice('sqlite:'.length)), (w) => warnings.push(w))
}

function openSealer(): Sealer {
  if (config.pkcs11) return pkcs11Sealer(config.pkcs11)
  console.error(
    [
      '',
      '!!! DEVELOPMENT VAULT: NO HSM CONFIGURED !!!',
      `Records are sealed with a software key in ${resolve(config.devKeyFile)}.`,
      'Anyone with that file and the database can read every wrapped key and attack passwords offline.',
      'Configure a PKCS#11 token (CAIRN_VAULT_PKCS11_*) before storing real keys.',
      '',
    ].join('\n'),
  )
  return softwareSealer(devSealingKey(config.devKeyFile, (w) => warnings.push(w)))
}

const store = openStore()
const sealer = openSealer()
const app = await buildVaultApp({
  store,
  sealer,
  logger: { level: config.logLevel },
  https: config.tls
    ? { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) }
    : null,
  limits: config.limits,
  spacing: {
    free: config.guessSpacing.freeGuesses,
    baseMs: config.guessSpacing.baseDelaySeconds * 1000,
  },
  trustedProxies: config.trustedProxies,
  timeouts: {
    headers: config.timeouts.headers * 1000,
    request: config.timeouts.request * 1000,
    keepAlive: config.timeouts.keepAlive * 1000,
    idle: config.timeouts.idle * 1000,
  },
  maxConnections: config.maxConnections,
  maxConnectionsPerAddress: config.maxConnectionsPerAddress,
  loginTtlMs: config.loginTtlSeconds * 1000,
})
for (const warning of warnings) app.log.warn(warning)
if (config.guessSpacing.baseDelaySeconds === 0)
  app.log.warn('guess spacing is off: a known record id can be burnt in milliseconds')
if (plainHttp && config.insecureHttp && !isLoopbackHost(config.listen.host))
  app.log.warn('serving plain HTTP on a non-loopback address (CAIRN_VAULT_INSECURE_HTTP=1)')
const address = await app.listen({ host: config.listen.host, port: config.listen.port })
app.log.info({ address, store: store.kind, hsm: sealer.kind }, 'vault listening')

const stop = async () => {
  await app.close()
  await store.close()
  sealer.close()
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
