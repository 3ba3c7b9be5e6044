/**
 * `npm run vault`: the Backup Key Vault server. Settings: see config.ts and
 * the README (CAIRN_VAULT_* variables or a JSON file).
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { buildVaultApp } from './app.js'
import { devSealingKey, loadConfig } from './config.js'
import { pkcs11Sealer } from './hsm/pkcs11-sealer.js'
import type { Sealer } from './hsm/sealer.js'
import { softwareSealer } from './hsm/software-sealer.js'
import { postgresStore } from './store/postgres-store.js'
import { sqliteStore } from './store/sqlite-store.js'
import type { VaultStore } from './store/store.js'

const config = loadConfig()

function openStore(): VaultStore {
  if (config.database.startsWith('postgres://') || config.database.startsWith('postgresql://'))
    return postgresStore(config.database)
  if (!config.database.startsWith('sqlite:'))
    throw new Error(`Unknown database "${config.database}" (use sqlite:PATH or postgres://…)`)
  const file = resolve(config.database.slice('sqlite:'.length))
  mkdirSync(dirname(file), { recursive: true })
  return sqliteStore(file)
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
  return softwareSealer(devSealingKey(config.devKeyFile))
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
  loginTtlMs: config.loginTtlSeconds * 1000,
})
if (!config.tls && config.listen.host !== '127.0.0.1' && config.listen.host !== 'localhost') {
  app.log.warn('serving plain HTTP on a non-loopback address: put a TLS front end before it')
}
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
