import { createServer, type Server } from 'node:http'
import Provider from 'oidc-provider'
import { freePort } from './postgres'

export interface OidcServer {
  issuer: string
  /** The RFC 7662 endpoint, with the resource server's credentials in it (as Dovecot's introspection_url takes them). */
  introspectionUrlWithCredentials: string
  authorizationEndpoint: string
  tokenEndpoint: string
  clientId: string
  /** How long access tokens issued from now on live, in seconds. */
  setAccessTokenTtl(seconds: number): void
  stop(): Promise<void>
}

/**
 * A real OpenID provider (node-oidc-provider) on a loopback port: a public
 * native client for Cairn (PKCE required, loopback redirect on any port),
 * a confidential client for Dovecot's token introspection, refresh tokens
 * for offline_access, and the library's own login and consent pages (any
 * login name is accepted; it becomes the token's subject).
 */
export async function startOidcProvider(
  options: { accessTokenTtl?: number } = {},
): Promise<OidcServer> {
  const port = await freePort()
  let accessTokenTtl = options.accessTokenTtl ?? 3600
  const issuer = `http://127.0.0.1:${port}`
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'cairn-desktop',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
      {
        client_id: 'dovecot',
        client_secret: 'dovecot-introspection-secret',
        redirect_uris: [],
        response_types: [],
        grant_types: [],
      },
    ],
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: id, email: `${id}@example.test` }),
    }),
    claims: { openid: ['sub'], email: ['email'] },
    scopes: ['openid', 'offline_access', 'email'],
    features: { introspection: { enabled: true }, devInteractions: { enabled: true } },
    ttl: {
      AccessToken: () => accessTokenTtl,
      RefreshToken: 86_400,
      Grant: 86_400,
      Session: 86_400,
      Interaction: 600,
      AuthorizationCode: 60,
    },
    cookies: { keys: ['cairn-test-cookie-key'] },
  })
  provider.on('server_error', (_ctx, error) => console.error('oidc-provider:', error))
  const server: Server = createServer(provider.callback())
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    issuer,
    introspectionUrlWithCredentials: `http://dovecot:dovecot-introspection-secret@127.0.0.1:${port}/token/introspection`,
    authorizationEndpoint: `${issuer}/auth`,
    tokenEndpoint: `${issuer}/token`,
    clientId: 'cairn-desktop',
    setAccessTokenTtl: (seconds) => {
      accessTokenTtl = seconds
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
