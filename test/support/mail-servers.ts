import { afterAll, beforeAll } from 'vitest'
import type { CairnServices } from '../../main/services'
import { startDovecot, type Dovecot, type DovecotOptions, type DovecotUser } from './dovecot'
import { useRealKeychain } from './keyring'
import { startPostfix, type Postfix } from './postfix'
import { imapsSettings } from './sync-world'
import { makeTestCertificate, type TestCertificate } from './test-ca'

export interface MailServers {
  /** A private test CA's certificate, which the app does not trust unless told. */
  readonly cert: TestCertificate
  readonly dovecot: Dovecot
  readonly postfix: Postfix
}

export interface MailServerOptions extends Omit<DovecotOptions, 'certificate' | 'users'> {
  /** Dovecot's users; a bare name has the password `<name>-password` (default: alice). */
  users?: (string | DovecotUser)[]
  /** Postfix delivering into Dovecot too (default: yes). */
  postfix?: boolean
}

/**
 * For a test file: the real keychain, Dovecot with these users (address
 * `<name>@example.test`) and, unless told otherwise, Postfix delivering
 * into it, both over TLS with a private test CA; stopped after the file.
 */
export function useMailServers(options: MailServerOptions = {}): MailServers {
  const { users = ['alice'], postfix: withPostfix = true, ...dovecotOptions } = options
  const cert = makeTestCertificate()
  let keyring: Awaited<ReturnType<typeof useRealKeychain>> | undefined
  let dovecot: Dovecot | undefined
  let postfix: Postfix | undefined
  beforeAll(async () => {
    keyring = await useRealKeychain()
    dovecot = await startDovecot({
      ...dovecotOptions,
      certificate: cert,
      users: users.map((u) => (typeof u === 'string' ? { name: u, password: `${u}-password` } : u)),
    })
    if (withPostfix) postfix = await startPostfix(dovecot, cert)
  })
  afterAll(async () => {
    await postfix?.stop()
    await dovecot?.stop()
    keyring?.stop()
  })
  const started = <T>(server: T | undefined, what: string): T => {
    if (!server) throw new Error(`${what} starts in beforeAll (and only when asked for)`)
    return server
  }
  return {
    cert,
    get dovecot() {
      return started(dovecot, 'Dovecot')
    },
    get postfix() {
      return started(postfix, 'Postfix')
    },
  }
}

/**
 * Add `user`'s account to `services` with the servers' settings given
 * outright (no lookup, certificates checked against the test CA); SMTP on
 * `smtpPort` (Postfix's submission port unless a relay stands in front).
 */
export async function addServerAccount(
  services: CairnServices,
  servers: MailServers,
  user: string,
  options: { name?: string; smtpPort?: number } = {},
): Promise<number> {
  const { accountId } = await services.mailAccounts.accounts.add({
    email: `${user}@example.test`,
    name: options.name,
    password: `${user}-password`,
    imap: imapsSettings(servers.dovecot, servers.cert, user),
    smtp: {
      host: '127.0.0.1',
      port: options.smtpPort ?? servers.postfix.submissionPort,
      security: 'starttls',
      username: user,
      caFile: servers.cert.caFile,
    },
    verify: false,
  })
  return accountId
}
