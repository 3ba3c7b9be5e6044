import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AccountSetup } from '../../../main/mail/accounts/account-setup'
import type { OAuthProvider } from '../../../main/mail/accounts/server-settings'
import { launchBrowser } from '../../support/browser'
import { seedMaildir, startDovecot, type Dovecot } from '../../support/dovecot'
import { useRealKeychain } from '../../support/keyring'
import { startOidcProvider, type OidcServer } from '../../support/oidc'
import { startPostfix, type Postfix } from '../../support/postfix'
import { openSyncWorld, realisticMessage } from '../../support/sync-world'
import { makeTestCertificate } from '../../support/test-ca'

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
    users: [{ name: 'alice', password: 'alice-password' }],
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

const provider = (): OAuthProvider => ({
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
  try {
    await page.goto(url)
    await page.fill('input[name=login]', login)
    await page.fill('input[name=password]', 'anything')
    await page.click('button[type=submit]')
    await page.click('button:has-text("Continue")')
    await page.waitForSelector('text=Signed in')
  } finally {
    await page.close()
  }
}

describe('"Sign in with …" from the setup screen (the accounts service contract\'s main side)', () => {
  it('signs in in the browser, asks about each untrusted certificate keeping the sign-in, then adds the account and syncs over OAuth2', async () => {
    seedMaildir(
      dovecot,
      'alice',
      [0, 1].map((i) => ({ raw: realisticMessage(i) })),
    )
    const world = await openSyncWorld()
    const setup = new AccountSetup(world.accounts, {
      providerFor: (host) => (host === '127.0.0.1' ? provider() : null),
    })
    try {
      const servers = {
        email: 'alice@example.test',
        imap: {
          host: '127.0.0.1',
          port: dovecot.imapPort,
          security: 'starttls' as const,
          username: 'alice',
        },
        smtp: {
          host: '127.0.0.1',
          port: postfix.submissionPort,
          security: 'starttls' as const,
          username: 'alice',
        },
      }
      const { signInId, url } = await setup.oauth.start('alice@example.test', '127.0.0.1')
      expect(new URL(url).searchParams.get('code_challenge_method')).toBe('S256')
      const [, first] = await Promise.all([
        userSignsIn(url, 'alice'),
        setup.oauth.finish(signInId, { ...servers, trust: {} }),
      ])
      // The private CA is unknown to Cairn: a question, nothing saved, the sign-in kept.
      expect(first).toMatchObject({
        kind: 'certificate',
        which: 'imap',
        certificate: { fingerprint256: cert.fingerprint256 },
      })
      expect(world.accounts.list()).toEqual([])
      const second = await setup.oauth.finish(signInId, {
        ...servers,
        trust: { imap: cert.fingerprint256 },
      })
      expect(second).toMatchObject({ kind: 'certificate', which: 'smtp' })
      const added = await setup.oauth.finish(signInId, {
        ...servers,
        trust: { imap: cert.fingerprint256, smtp: cert.fingerprint256 },
      })
      expect(added.kind).toBe('added')
      const accountId = (added as { accountId: number }).accountId
      expect(world.accounts.list()[0]).toMatchObject({
        auth: 'oauth2',
        email: 'alice@example.test',
      })
      const [report] = await world.sync.syncOnce(accountId)
      expect(report?.added).toBe(2)

      // Once added, the sign-in is over: it cannot add a second account.
      await expect(setup.oauth.finish(signInId, { ...servers, trust: {} })).rejects.toMatchObject({
        code: 'OAUTH_FAILED',
      })
      // A host Cairn has no sign-in for is refused before any browser opens.
      await expect(setup.oauth.start('x@example.org', 'imap.example.org')).rejects.toMatchObject({
        code: 'OAUTH_FAILED',
      })
    } finally {
      setup.close()
      await world.close()
    }
  })
})
