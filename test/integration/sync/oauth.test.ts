import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { isCairnError } from '../../../main/shared/errors'
import type { OAuthProvider } from '../../../main/mail/accounts/server-settings'
import { signIn } from '../../../main/mail/oauth/oauth-client'
import { OAuthTokenStore } from '../../../main/mail/oauth/token-store'
import { accountSecrets } from '../../../main/keychain/account-secrets'
import { osKeychain } from '../../../main/keychain/keychain'
import { SendService } from '../../../main/mail/send/send-service'
import { launchBrowser } from '../../support/browser'
import { startProxy } from '../../support/http-proxy'
import { useRealKeychain } from '../../support/keyring'
import { seedMaildir, startDovecot, type Dovecot } from '../../support/dovecot'
import { startOidcProvider, type OidcServer } from '../../support/oidc'
import { startPostfix, type Postfix } from '../../support/postfix'
import { makeTestCertificate } from '../../support/test-ca'
import {
  localMessageIds,
  openSyncWorld,
  type SyncWorld,
  otherClient,
  realisticMessage,
  serverMessageIds,
  waitFor,
} from '../../support/sync-world'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
let oidc: OidcServer
let dovecot: Dovecot
let postfix: Postfix
let browser: Browser
const cert = makeTestCertificate()

beforeAll(async () => {
  keyring = await useRealKeychain()
  oidc = await startOidcProvider()
  dovecot = await startDovecot({
    certificate: cert,
    users: [{ name: 'bob', password: 'bob-password' }],
    oauth2: { introspectionUrl: oidc.introspectionUrlWithCredentials },
  })
  postfix = await startPostfix(dovecot, cert)
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await postfix?.stop()
  await dovecot?.stop()
  await oidc?.stop()
  keyring?.stop()
})

/** The provider as Cairn's configuration names it: endpoints and the client id registered for Cairn. */
const providerConfig = (): OAuthProvider => ({
  id: 'local-oidc',
  issuer: oidc.issuer,
  authorizationEndpoint: oidc.authorizationEndpoint,
  tokenEndpoint: oidc.tokenEndpoint,
  clientId: oidc.clientId,
  scopes: ['openid', 'email', 'offline_access'],
  authParams: { prompt: 'consent' },
})

/** The user in the system browser: signs in on the provider's page and consents. */
async function userSignsIn(url: string, login: string) {
  const page = await browser.newPage()
  await page.goto(url)
  await page.fill('input[name=login]', login)
  await page.fill('input[name=password]', 'anything')
  await page.click('button[type=submit]')
  await page.click('button:has-text("Continue")')
  await page.waitForSelector('text=Signed in')
  await page.close()
}

/** Ada's account sends Bob a message through Postfix; it leaves the outbox and reaches his Inbox. */
async function sendToBob(world: SyncWorld, accountId: number, subject: string, text: string) {
  const send = new SendService(world.db, world.accounts.credentials)
  const { messageId } = await send.send(accountId, { to: ['bob@example.test'], subject, text })
  await send.flush()
  expect(send.outbox()).toEqual([])
  const bob = await otherClient(dovecot, cert, 'bob', 'bob-password')
  await waitFor(
    async () =>
      [...(await serverMessageIds(bob, 'INBOX')).values()].includes(messageId.slice(1, -1)),
    10_000,
    200,
  )
  await bob.logout()
}

describe('OAuth2 sign-in against a local OpenID provider, tokens checked by Dovecot', () => {
  it('signs in with PKCE and a loopback redirect, syncs over OAUTHBEARER, sends over SMTP XOAUTH2, and refreshes before expiry', async () => {
    seedMaildir(
      dovecot,
      'alice',
      [0, 1].map((i) => ({ raw: realisticMessage(i) })),
    )
    const provider = providerConfig()
    const tokens = await signIn(provider, {
      openBrowser: (url) => userSignsIn(url, 'alice'),
      loginHint: 'alice@example.test',
    })
    expect(tokens.accessToken).toBeTruthy()
    expect(tokens.refreshToken).toBeTruthy()

    const world = await openSyncWorld()
    try {
      const imap = {
        host: '127.0.0.1',
        port: dovecot.imapPort,
        security: 'starttls' as const,
        username: 'alice',
        caFile: cert.caFile,
      }
      const smtp = {
        host: '127.0.0.1',
        port: postfix.submissionPort,
        security: 'starttls' as const,
        username: 'alice',
        caFile: cert.caFile,
      }
      // Adding signs in to both servers with the token (Dovecot introspects it at the provider).
      const { accountId } = await world.accounts.add({
        email: 'alice@example.test',
        imap,
        smtp,
        oauth: { provider, tokens },
      })
      const [report] = await world.sync.syncOnce(accountId)
      expect(report?.added).toBe(2)
      expect(world.sync.states()[0]?.status).toBe('idle')

      await sendToBob(world, accountId, 'Over XOAUTH2', 'token, not password')
      // IMAP signed in with OAUTHBEARER (RFC 7628, preferred when offered), SMTP with XOAUTH2.
      expect(dovecot.log()).toMatch(/Login: user=<alice>, method=OAUTHBEARER/)
      expect(postfix.log()).toMatch(/sasl_method=XOAUTH2, sasl_username=alice/)

      // The token is about to expire: the next connection refreshes it first, and the new one is kept.
      const secrets = accountSecrets(osKeychain('CairnTest'), world.profileId)
      const store = new OAuthTokenStore(secrets)
      const stored = store.read(accountId)!
      store.save(accountId, { ...stored, expiresAt: Date.now() + 30_000 })
      await world.sync.reset(accountId)
      seedMaildir(dovecot, 'alice', [{ raw: realisticMessage(2) }])
      const [after] = await world.sync.syncOnce(accountId)
      expect(after?.added).toBe(2) // the new Inbox message, and the copy of the sent one in Sent
      const refreshed = store.read(accountId)!
      expect(refreshed.accessToken).not.toBe(stored.accessToken)
      expect(refreshed.expiresAt! - Date.now()).toBeGreaterThan(30 * 60_000)
      expect(localMessageIds(world.db, accountId, 'INBOX').size).toBe(3)

      // A token Dovecot does not accept is a sign-in failure the account state shows.
      store.save(accountId, { accessToken: 'forged-token', refreshToken: null, expiresAt: null })
      await world.sync.reset(accountId)
      await expect(world.sync.syncOnce(accountId)).rejects.toSatisfy((e: unknown) =>
        isCairnError(e, 'ACCOUNT_AUTH_FAILED'),
      )
      expect(world.sync.states()[0]?.status).toBe('auth_failed')
    } finally {
      await world.close()
    }
  })

  it('a token endpoint that gives no expires_in: the token the server refuses is refreshed once and the sync goes on', async () => {
    seedMaildir(dovecot, 'carol', [{ raw: realisticMessage(0) }])
    // The provider's token answers reach Cairn without expires_in (as some
    // providers send them), and the first access token lives 3 s.
    const tokenProxy = await startProxy({
      target: () => oidc.issuer,
      rewrite: (path, status, body) => {
        if (!path.startsWith('/token') || status !== 200) return body
        const json = JSON.parse(body) as Record<string, unknown>
        delete json.expires_in
        return JSON.stringify(json)
      },
    })
    oidc.setAccessTokenTtl(3)
    const world = await openSyncWorld()
    try {
      const provider = { ...providerConfig(), tokenEndpoint: `${tokenProxy.url}/token` }
      const tokens = await signIn(provider, {
        openBrowser: (url) => userSignsIn(url, 'carol'),
        loginHint: 'carol@example.test',
      })
      expect(tokens.expiresAt).toBeNull()
      expect(tokens.refreshToken).toBeTruthy()
      // Later ones live long (the retry must not meet Dovecot's penalty for the failed sign-in with a dead token).
      oidc.setAccessTokenTtl(3600)
      const { accountId } = await world.accounts.add({
        email: 'carol@example.test',
        imap: {
          host: '127.0.0.1',
          port: dovecot.imapPort,
          security: 'starttls',
          username: 'carol',
          caFile: cert.caFile,
        },
        smtp: {
          host: '127.0.0.1',
          port: postfix.submissionPort,
          security: 'starttls',
          username: 'carol',
          caFile: cert.caFile,
        },
        oauth: { provider, tokens },
        verify: false,
      })
      // The token is dead now, and nothing Cairn stored says so.
      await new Promise((resolve) => setTimeout(resolve, 4000))
      const [report] = await world.sync.syncOnce(accountId)
      expect(report?.added).toBe(1)
      expect(world.sync.states()[0]?.status).toBe('idle')
      const store = new OAuthTokenStore(accountSecrets(osKeychain('CairnTest'), world.profileId))
      expect(store.read(accountId)?.accessToken).not.toBe(tokens.accessToken)
      expect(dovecot.log()).toMatch(/Login: user=<carol>, method=OAUTHBEARER/)
    } finally {
      oidc.setAccessTokenTtl(3600)
      await world.close()
      await tokenProxy.close()
    }
  })

  it('sending with a token the SMTP server refuses: the token is refreshed once and the message goes out', async () => {
    // The first access token lives 3 s; the ones refreshed later live long.
    oidc.setAccessTokenTtl(3)
    const world = await openSyncWorld()
    try {
      const provider = providerConfig()
      const tokens = await signIn(provider, {
        openBrowser: (url) => userSignsIn(url, 'dave'),
        loginHint: 'dave@example.test',
      })
      oidc.setAccessTokenTtl(3600)
      const { accountId } = await world.accounts.add({
        email: 'dave@example.test',
        imap: {
          host: '127.0.0.1',
          port: dovecot.imapPort,
          security: 'starttls',
          username: 'dave',
          caFile: cert.caFile,
        },
        smtp: {
          host: '127.0.0.1',
          port: postfix.submissionPort,
          security: 'starttls',
          username: 'dave',
          caFile: cert.caFile,
        },
        oauth: { provider, tokens },
        verify: false,
      })
      // As a provider that gives no expiry leaves it: nothing stored says the token is dead, and it is.
      const store = new OAuthTokenStore(accountSecrets(osKeychain('CairnTest'), world.profileId))
      store.save(accountId, { ...store.read(accountId)!, expiresAt: null })
      await new Promise((resolve) => setTimeout(resolve, 4000))

      await sendToBob(world, accountId, 'After a refused token', 'sent on the second try')
      expect(store.read(accountId)?.accessToken).not.toBe(tokens.accessToken)
      // Postfix (through Dovecot) refused the dead token, then took the refreshed one.
      expect(postfix.log()).toMatch(/SASL XOAUTH2 authentication failed/)
      expect(postfix.log()).toMatch(/sasl_method=XOAUTH2, sasl_username=dave/)
    } finally {
      oidc.setAccessTokenTtl(3600)
      await world.close()
    }
  })
})
