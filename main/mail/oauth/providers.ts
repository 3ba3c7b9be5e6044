import type { OAuthProvider } from '../accounts/server-settings.js'

/**
 * Providers that refuse passwords, as configuration: endpoints and scopes
 * are public facts; the client id is what the provider issued to whoever
 * ships Cairn, so it is read from the environment (CAIRN_OAUTH_<ID>_CLIENT_ID)
 * or given by the caller, never hard-coded. A provider without a client id
 * is not offered.
 */
const KNOWN: Record<string, Omit<OAuthProvider, 'clientId'> & { hosts: RegExp }> = {
  google: {
    id: 'google',
    issuer: 'https://accounts.google.com',
    authorizationEndpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenEndpoint: 'https://oauth2.googleapis.com/token',
    scopes: ['https://mail.google.com/'],
    // A refresh token is issued only for offline access, and again only with consent.
    authParams: { access_type: 'offline', prompt: 'consent' },
    hosts: /(^|\.)(gmail\.com|googlemail\.com)$/i,
  },
  microsoft: {
    id: 'microsoft',
    issuer: 'https://login.microsoftonline.com/common/v2.0',
    authorizationEndpoint: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
    tokenEndpoint: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    scopes: [
      'https://outlook.office.com/IMAP.AccessAsUser.All',
      'https://outlook.office.com/SMTP.Send',
      'offline_access',
    ],
    hosts: /(^|\.)(office365\.com|outlook\.com|hotmail\.com|live\.com)$/i,
  },
}

/** The OAuth provider for a mail server host, if it is one that needs OAuth and a client id is configured. */
export function oauthProviderForHost(
  host: string,
  clientIds: Record<string, string | undefined> = clientIdsFromEnv(),
): OAuthProvider | null {
  for (const { hosts, ...provider } of Object.values(KNOWN)) {
    if (!hosts.test(host)) continue
    const clientId = clientIds[provider.id]
    return clientId ? { ...provider, clientId } : null
  }
  return null
}

/** Servers that file a copy of sent mail themselves (Cairn must not add a second one). */
export function serverFilesSent(imapHost: string): boolean {
  return KNOWN.google?.hosts.test(imapHost) ?? false
}

function clientIdsFromEnv(): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.keys(KNOWN).map((id) => [id, process.env[`CAIRN_OAUTH_${id.toUpperCase()}_CLIENT_ID`]]),
  )
}
