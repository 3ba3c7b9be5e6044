import { createServer as createHttpServer, get, type Server as HttpServer } from 'node:http'
import { createServer, type Server, type Socket } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AccountSetup } from '../../../main/mail/accounts/account-setup'
import type { OAuthProvider } from '../../../main/mail/accounts/server-settings'
import { useRealKeychain } from '../../support/keyring'
import { openSyncWorld, type SyncWorld } from '../../support/sync-world'

/**
 * An OAuth2 sign-in is made for one provider, and its access token opens
 * that provider's mailbox. The token must go only to that provider's
 * servers: a setup that pairs the provider's IMAP host with another SMTP
 * host (a spoofed SRV answer, an edited field, a hostile renderer) must
 * not hand the token to the other host.
 */

const ACCESS_TOKEN = 'provider-a-access-token-3f9c'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
let tokenServer: HttpServer
let tokenEndpoint: string
const servers: Server[] = []

beforeAll(async () => {
  keyring = await useRealKeychain()
  // The provider's token endpoint: any code buys the access token.
  tokenServer = createHttpServer((req, res) => {
    req.resume()
    req.on('end', () =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ access_token: ACCESS_TOKEN, expires_in: 3600 })),
    )
  })
  await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve))
  tokenEndpoint = `http://127.0.0.1:${(tokenServer.address() as { port: number }).port}/token`
})
afterAll(() => {
  tokenServer?.close()
  keyring?.stop()
})
afterEach(() => {
  for (const s of servers.splice(0)) s.close()
})

const provider = (): OAuthProvider => ({
  id: 'provider-a',
  authorizationEndpoint: 'https://login.provider-a.test/authorize',
  tokenEndpoint,
  clientId: 'cairn',
  scopes: ['mail'],
})

/** Everything a server was sent, with SASL initial responses decoded. */
function heard(log: string[]): string {
  const text = log.join('')
  const decoded = text
    .split(/\s+/)
    .filter((word) => /^[A-Za-z0-9+/]{16,}={0,2}$/.test(word))
    .map((word) => Buffer.from(word, 'base64').toString('latin1'))
  return [text, ...decoded].join('\n')
}

/** A server on `host` that hands each CRLF-terminated line it is sent to `onLine`; logs every byte. */
async function lineServer(
  host: string,
  greeting: string,
  onLine: (line: string, socket: Socket) => void,
) {
  const log: string[] = []
  const server = createServer((socket) => {
    socket.on('error', () => undefined)
    socket.write(greeting)
    let buffer = ''
    socket.on('data', (d) => {
      log.push(d.toString('latin1'))
      buffer += d.toString('latin1')
      let i: number
      while ((i = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, i)
        buffer = buffer.slice(i + 2)
        onLine(line, socket)
      }
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  return { port: (server.address() as { port: number }).port, log }
}

/** An IMAP server that takes any XOAUTH2 sign-in (the provider's own). */
function imapServer(host: string) {
  return lineServer(
    host,
    '* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready\r\n',
    (line, socket) => {
      const [tag, command = ''] = line.split(' ')
      if (/^LOGOUT$/i.test(command)) socket.end(`* BYE\r\n${tag} OK bye\r\n`)
      else if (/^CAPABILITY$/i.test(command))
        socket.write(`* CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2\r\n${tag} OK done\r\n`)
      else socket.write(`${tag} OK done\r\n`)
    },
  )
}

/** An SMTP submission server that offers XOAUTH2 and refuses it (it only wants to hear the token). */
function smtpServer(host: string) {
  return lineServer(host, '220 smtp ready\r\n', (line, socket) => {
    if (/^EHLO/i.test(line)) socket.write('250-smtp\r\n250 AUTH XOAUTH2 PLAIN\r\n')
    else if (/^AUTH/i.test(line)) socket.write('535 5.7.8 no\r\n')
    else if (/^QUIT/i.test(line)) socket.end('221 bye\r\n')
    else socket.write('250 ok\r\n')
  })
}

/** The user in the browser: the provider sends the code back to Cairn's loopback redirect. */
function providerRedirects(url: string): Promise<void> {
  const auth = new URL(url)
  const back = new URL(auth.searchParams.get('redirect_uri') as string)
  back.searchParams.set('code', 'the-code')
  back.searchParams.set('state', auth.searchParams.get('state') as string)
  return new Promise((resolve, reject) =>
    get(back, (res) => {
      res.resume()
      res.on('end', () => resolve())
    }).on('error', reject),
  )
}

async function withSetup(run: (setup: AccountSetup, world: SyncWorld) => Promise<void>) {
  const world = await openSyncWorld()
  // Provider A serves its mail from 127.0.0.1; 127.0.0.2 is someone else.
  const setup = new AccountSetup(world.accounts, {
    providerFor: (host) => (host === '127.0.0.1' ? provider() : null),
  })
  try {
    await run(setup, world)
  } finally {
    setup.close()
    await world.close()
  }
}

describe('an OAuth2 sign-in is used only with the servers of the provider it was made for', () => {
  for (const foreign of ['IMAP', 'SMTP'] as const)
    it(`refuses an ${foreign} server other than the provider’s, before the token reaches it`, async () => {
      const other = await (foreign === 'IMAP' ? imapServer : smtpServer)('127.0.0.2')
      const elsewhere = { host: '127.0.0.2', port: other.port }
      const imap =
        foreign === 'IMAP'
          ? elsewhere
          : { host: '127.0.0.1', port: (await imapServer('127.0.0.1')).port }
      const smtp = foreign === 'SMTP' ? elsewhere : { host: '127.0.0.1', port: 1 }
      await withSetup(async (setup, world) => {
        const { signInId, url } = await setup.oauth.start('me@provider-a.test', '127.0.0.1')
        await providerRedirects(url)
        const result = setup.oauth.finish(signInId, {
          email: 'me@provider-a.test',
          imap: { ...imap, security: 'plain', username: 'me' },
          smtp: { ...smtp, security: 'plain', username: 'me' },
          trust: {},
        })
        const error = await result.then(
          () => null,
          (e: unknown) => e,
        )
        expect(heard(other.log)).not.toContain(ACCESS_TOKEN)
        expect(error).toMatchObject({ code: 'OAUTH_FAILED' })
        expect(world.accounts.list()).toEqual([])
      })
    })
})
