import type { LookupFunction } from 'node:net'
import { createServer as createNetServer, type Server as NetServer } from 'node:net'
import { readFileSync } from 'node:fs'
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AccountSetup } from '../../../main/mail/accounts/account-setup'
import { isCairnError } from '../../../main/shared/errors'
import { useRealKeychain } from '../../support/keyring'
import { startSrvDns } from '../../support/srv-dns'
import { openSyncWorld, type SyncWorld } from '../../support/sync-world'
import { makeTestCertificate } from '../../support/test-ca'

/**
 * SRV records come from DNS, which anyone on the path can answer (no
 * DNSSEC here). A spoofed answer can name any host, and the TLS check then
 * only proves the host is the one DNS named: a server outside the
 * address's domain, with a valid certificate for its own name, would get
 * the password. RFC 6186 §6 and RFC 7817 §4 ask for the user's
 * confirmation of such a target; adding without shown settings (the CLI)
 * has nobody to ask, so it must not sign in there.
 */

const PASSWORD = 'correct horse battery staple'
// A certificate any CA the client trusts would issue to the attacker for its own host.
const cert = makeTestCertificate('attacker')
let keyring: Awaited<ReturnType<typeof useRealKeychain>>
let attacker: TlsServer
let attackerPort: number
let closed: NetServer
let closedPort: number
const heard: string[] = []

beforeAll(async () => {
  keyring = await useRealKeychain()
  attacker = createTlsServer(
    { cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) },
    (socket) => {
      socket.on('error', () => undefined)
      socket.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] ready\r\n')
      // LOGIN, or AUTHENTICATE with the credentials now or after a "+".
      let waiting: string | null = null
      socket.on('data', (d: Buffer) => {
        for (const line of d.toString('latin1').split('\r\n').filter(Boolean)) {
          heard.push(line)
          if (waiting) {
            heard.push(Buffer.from(line, 'base64').toString('latin1'))
            socket.write(`${waiting} NO [AUTHENTICATIONFAILED] no\r\n`)
            waiting = null
            continue
          }
          const [tag = '*', command = '', , initial] = line.split(' ')
          if (/^AUTHENTICATE$/i.test(command) && !initial) {
            waiting = tag
            socket.write('+ \r\n')
            continue
          }
          if (initial) heard.push(Buffer.from(initial, 'base64').toString('latin1'))
          socket.write(`${tag} NO [AUTHENTICATIONFAILED] no\r\n`)
        }
      })
    },
  )
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
  attackerPort = (attacker.address() as { port: number }).port
  // Nothing answers the autoconfig look-ups: a network that drops them.
  closed = createNetServer((socket) => socket.destroy())
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  closedPort = (closed.address() as { port: number }).port
})
afterAll(() => {
  attacker?.close()
  closed?.close()
  keyring?.stop()
})

const lookup: LookupFunction = (_host, options, callback) => {
  if ((options as { all?: boolean }).all)
    (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
      { address: '127.0.0.1', family: 4 },
    ])
  else (callback as (e: null, a: string, f: number) => void)(null, '127.0.0.1', 4)
}

/** SRV records of victim.test naming a host outside it (where the attacker listens). */
const srvOutsideTheDomain = () => ({
  '_imaps._tcp.victim.test': [{ priority: 0, weight: 0, port: attackerPort, target: 'localhost' }],
  '_submissions._tcp.victim.test': [
    { priority: 0, weight: 0, port: attackerPort, target: 'localhost' },
  ],
})

describe('adding an account from SRV records alone', () => {
  it('does not send the password to a server outside the address’s domain that only DNS names', async () => {
    const dns = await startSrvDns(srvOutsideTheDomain())
    const world = await openSyncWorld()
    try {
      const error = await world.accounts
        .add({
          email: 'me@victim.test',
          password: PASSWORD,
          caFile: cert.caFile,
          discovery: {
            lookup,
            httpsPort: closedPort,
            ispdbUrl: `https://127.0.0.1:${closedPort}/`,
            dnsServers: [dns.server],
            guess: false,
            timeoutMs: 2000,
          },
        })
        .then(
          () => null,
          (e: unknown) => e,
        )
      expect(heard.join('\n')).not.toContain(PASSWORD)
      expect(isCairnError(error, 'ACCOUNT_SETTINGS_UNCONFIRMED')).toBe(true)
      // The message says what was found, so the user can confirm it by giving it.
      expect((error as Error).message).toContain(`imaps://localhost:${attackerPort}`)
      expect(world.accounts.list()).toEqual([])
    } finally {
      dns.close()
      await world.close()
    }
  })
})

/** The setup screen's lookup with every source but SRV records (from `dnsServer`) out of reach. */
const setupAskingOnly = (world: SyncWorld, dnsServer: string) =>
  new AccountSetup(world.accounts, {
    discovery: {
      lookup,
      httpsPort: closedPort,
      ispdbUrl: `https://127.0.0.1:${closedPort}/`,
      dnsServers: [dnsServer],
      guess: false,
      timeoutMs: 2000,
    },
  })

describe('the setup screen’s lookup finding SRV records outside the domain', () => {
  it('names the servers for the user to confirm, and sends no password there until the user did', async () => {
    const dns = await startSrvDns(srvOutsideTheDomain())
    const world = await openSyncWorld()
    const setup = setupAskingOnly(world, dns.server)
    try {
      heard.length = 0
      const found = await setup.discover('me@victim.test')
      expect(found.source).toBe('SRV records')
      expect(found.unconfirmed).toEqual({ domain: 'victim.test', hosts: ['localhost'] })

      // "Add account" with what the screen shows, not confirmed: refused before any connection.
      const input = {
        email: 'me@victim.test',
        password: PASSWORD,
        imap: found.imap,
        smtp: found.smtp,
      }
      const error = await setup.add(input).then(
        () => null,
        (e: unknown) => e,
      )
      expect(isCairnError(error, 'ACCOUNT_SETTINGS_UNCONFIRMED')).toBe(true)
      expect((error as Error).message).toContain(
        'The settings found for victim.test point to localhost',
      )
      expect(heard).toEqual([])

      // Confirmed: the user's choice, so Cairn goes on to connect there (and, as for any
      // server, asks about a certificate nothing it trusts vouches for).
      const confirmed = await setup.add({ ...input, confirmedHosts: ['localhost'] })
      expect(confirmed).toMatchObject({
        kind: 'certificate',
        which: 'imap',
        server: { host: 'localhost', port: attackerPort },
      })
      expect(world.accounts.list()).toEqual([])
    } finally {
      setup.close()
      dns.close()
      await world.close()
    }
  })
})

describe('a later lookup for the same address that finds nothing', () => {
  it('leaves no question behind: servers the user then types by hand are theirs to use', async () => {
    const records = {
      '_imaps._tcp.victim.test': [
        { priority: 0, weight: 0, port: attackerPort, target: 'localhost' },
      ],
      '_submissions._tcp.victim.test': [
        { priority: 0, weight: 0, port: attackerPort, target: 'localhost' },
      ],
    }
    const dns = await startSrvDns(records)
    const world = await openSyncWorld()
    const setup = setupAskingOnly(world, dns.server)
    try {
      expect((await setup.discover('me@victim.test')).unconfirmed).not.toBeNull()
      // Looked up again (the screen opened anew, or "Look up" pressed again): DNS names
      // nothing now, and the screen says "enter the settings yourself" with no question.
      delete (records as Partial<typeof records>)['_imaps._tcp.victim.test']
      const again = await setup.discover('me@victim.test').then(
        () => null,
        (e: unknown) => e,
      )
      expect(isCairnError(again, 'ACCOUNT_SETTINGS_NOT_FOUND')).toBe(true)

      // The user types the servers their provider's page names (here the same host). The
      // screen asked nothing, so nothing may be refused as "not confirmed": Cairn connects.
      const server = { host: 'localhost', port: attackerPort, security: 'tls' as const }
      const typed = await setup
        .add({
          email: 'me@victim.test',
          password: PASSWORD,
          imap: { ...server, username: 'me@victim.test' },
          smtp: { ...server, username: 'me@victim.test' },
        })
        .then(
          (result) => result,
          (e: unknown) => e,
        )
      expect(typed).toMatchObject({ kind: 'certificate', which: 'imap' })
    } finally {
      setup.close()
      dns.close()
      await world.close()
    }
  })
})
