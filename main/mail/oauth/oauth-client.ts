import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { CairnError } from '../../shared/errors.js'
import type { OAuthProvider } from '../accounts/server-settings.js'
import { postForm } from './http-form.js'

export interface TokenSet {
  accessToken: string
  refreshToken: string | null
  /** Milliseconds since the epoch; null when the provider did not say. */
  expiresAt: number | null
}

export interface SignInOptions {
  /** Opens the authorization URL in the user's browser (the system browser, never an embedded one). */
  openBrowser: (url: string) => void | Promise<void>
  loginHint?: string
  /** How long to wait for the user (default 5 minutes). */
  timeoutMs?: number
  signal?: AbortSignal
}

const base64url = (bytes: Buffer) => bytes.toString('base64url')

/**
 * OAuth 2.0 authorization code flow for a native app (RFC 8252): PKCE
 * (S256), a one-shot loopback redirect on 127.0.0.1 and a port the OS
 * picks, a random state checked on return. The browser never sees the
 * verifier; Cairn never sees the password.
 */
export async function signIn(provider: OAuthProvider, options: SignInOptions): Promise<TokenSet> {
  const verifier = base64url(randomBytes(32))
  const challenge = base64url(createHash('sha256').update(verifier).digest())
  const state = base64url(randomBytes(16))
  const { server, port } = await listenLoopback()
  const redirectUri = `http://127.0.0.1:${port}/callback`
  try {
    const code = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new CairnError('OAUTH_FAILED', 'The sign-in was not finished in time. Try again.'),
          ),
        options.timeoutMs ?? 5 * 60_000,
      )
      options.signal?.addEventListener('abort', () => {
        clearTimeout(timer)
        reject(new CairnError('OAUTH_FAILED', 'The sign-in was cancelled.'))
      })
      server.on('request', (req, res) => {
        const url = new URL(req.url ?? '/', redirectUri)
        if (url.pathname !== '/callback') {
          res.writeHead(404).end()
          return
        }
        const finish = (ok: boolean, text: string) => {
          res.writeHead(ok ? 200 : 400, {
            'content-type': 'text/html; charset=utf-8',
            'cache-control': 'no-store',
          })
          res.end(`<!doctype html><meta charset="utf-8"><title>Cairn</title><p>${text}</p>`)
        }
        if (url.searchParams.get('state') !== state) {
          finish(false, 'This sign-in answer does not belong to Cairn’s request.')
          return
        }
        clearTimeout(timer)
        const error = url.searchParams.get('error')
        const code = url.searchParams.get('code')
        if (error || !code) {
          finish(false, 'The sign-in was refused. You can close this window.')
          reject(
            new CairnError(
              'OAUTH_FAILED',
              `The provider refused the sign-in (${(error ?? 'no code').slice(0, 100)}).`,
            ),
          )
          return
        }
        finish(true, 'Signed in. You can close this window and return to Cairn.')
        resolve(code)
      })
      const auth = new URL(provider.authorizationEndpoint)
      auth.searchParams.set('response_type', 'code')
      auth.searchParams.set('client_id', provider.clientId)
      auth.searchParams.set('redirect_uri', redirectUri)
      auth.searchParams.set('scope', provider.scopes.join(' '))
      auth.searchParams.set('state', state)
      auth.searchParams.set('code_challenge', challenge)
      auth.searchParams.set('code_challenge_method', 'S256')
      if (options.loginHint) auth.searchParams.set('login_hint', options.loginHint)
      for (const [key, value] of Object.entries(provider.authParams ?? {}))
        auth.searchParams.set(key, value)
      Promise.resolve(options.openBrowser(auth.toString())).catch(reject)
    })
    return await tokenRequest(provider, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: provider.clientId,
      code_verifier: verifier,
    })
  } finally {
    server.close()
    server.closeAllConnections()
  }
}

/** A new access token from the refresh token (which the provider may rotate). */
export async function refreshTokens(
  provider: OAuthProvider,
  refreshToken: string,
): Promise<TokenSet> {
  const tokens = await tokenRequest(provider, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: provider.clientId,
  })
  return { ...tokens, refreshToken: tokens.refreshToken ?? refreshToken }
}

async function tokenRequest(
  provider: OAuthProvider,
  form: Record<string, string>,
): Promise<TokenSet> {
  const { status, json } = await postForm(provider.tokenEndpoint, form, { caFile: provider.caFile })
  if (status !== 200 || typeof json.access_token !== 'string') {
    const reason = typeof json.error === 'string' ? json.error : `HTTP ${status}`
    throw new CairnError(
      reason === 'invalid_grant' ? 'ACCOUNT_AUTH_FAILED' : 'OAUTH_FAILED',
      reason === 'invalid_grant'
        ? 'The sign-in has expired or was revoked. Sign in again.'
        : `The provider did not issue a token (${reason.slice(0, 100)}).`,
    )
  }
  const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : Number(json.expires_in)
  return {
    accessToken: json.access_token,
    refreshToken: typeof json.refresh_token === 'string' ? json.refresh_token : null,
    expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? Date.now() + expiresIn * 1000 : null,
  }
}

function listenLoopback(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as { port: number }).port }),
    )
  })
}
