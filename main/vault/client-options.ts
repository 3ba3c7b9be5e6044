import { readFileSync } from 'node:fs'
import { CairnError, errnoCode } from '../shared/errors.js'
import type { VaultClientOptions } from './client.js'

/**
 * How this computer reaches its vault, from the command line and the
 * environment: the certificate authority to trust instead of the system's
 * (--ca FILE or CAIRN_VAULT_CA; a vault on a private CA trusts nothing else)
 * and, on a test network only, plain HTTP to another host (--insecure-http
 * or CAIRN_VAULT_INSECURE_HTTP=1).
 */
export function vaultConnection(
  env: NodeJS.ProcessEnv,
  flags: { ca?: string | undefined; insecureHttp?: boolean | undefined } = {},
): Omit<VaultClientOptions, 'url'> {
  const caFile = flags.ca ?? env.CAIRN_VAULT_CA
  let ca: Buffer | undefined
  if (caFile) {
    try {
      ca = readFileSync(caFile)
    } catch (error) {
      throw new CairnError(
        'INVALID_ARGUMENT',
        `Cannot read the certificate authority ${caFile} (${errnoCode(error) ?? 'error'}).`,
      )
    }
  }
  const insecureHttp = flags.insecureHttp === true || env.CAIRN_VAULT_INSECURE_HTTP === '1'
  return { ...(ca ? { ca } : {}), ...(insecureHttp ? { insecureHttp } : {}) }
}
