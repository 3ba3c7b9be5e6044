import { XMLParser } from 'fast-xml-parser'
import type { ServerSettings } from './server-settings.js'

export interface DiscoveredSettings {
  imap: ServerSettings
  smtp: ServerSettings
  /** Where the settings came from, for the user ("autoconfig.example.com", "ISPDB", "SRV records", "guessed"). */
  source: string
  /** The provider wants OAuth2 (Thunderbird's <authentication>OAuth2</authentication>). */
  oauth2: boolean
  /**
   * Servers outside the address's domain that only unauthenticated DNS
   * (SRV records) vouches for: anyone on the path can forge those answers,
   * and the certificate then only proves the host is the one DNS named.
   * RFC 6186 §6 / RFC 7817 §4: use them only once the user confirmed them.
   */
  unconfirmed?: string[]
}

interface XmlServer {
  '@_type'?: string
  hostname?: string
  port?: string | number
  socketType?: string
  username?: string
  authentication?: string | string[]
}

/**
 * Read Thunderbird's autoconfig format (config-v1.1.xml, also what the
 * ISPDB serves). The file is untrusted input: only the first usable IMAP
 * and SMTP servers with TLS or STARTTLS are taken, placeholders
 * (%EMAILADDRESS%, %EMAILLOCALPART%, %EMAILDOMAIN%) are filled in, and
 * anything malformed yields null.
 */
export function parseAutoconfig(
  xml: string,
  email: string,
  source: string,
): DiscoveredSettings | null {
  if (xml.length > 1024 * 1024) return null
  let doc: unknown
  try {
    doc = new XMLParser({
      ignoreAttributes: false,
      processEntities: false,
      isArray: (name) =>
        ['incomingServer', 'outgoingServer', 'emailProvider', 'authentication'].includes(name),
    }).parse(xml)
  } catch {
    return null
  }
  const provider = (doc as { clientConfig?: { emailProvider?: unknown[] } }).clientConfig
    ?.emailProvider?.[0] as
    { incomingServer?: XmlServer[]; outgoingServer?: XmlServer[] } | undefined
  if (!provider) return null
  const [local = '', domain = ''] = email.split('@')
  const fill = (value: string) =>
    value
      .replace(/%EMAILADDRESS%/g, email)
      .replace(/%EMAILLOCALPART%/g, local)
      .replace(/%EMAILDOMAIN%/g, domain)
  const pick = (
    servers: XmlServer[] | undefined,
    type: string,
  ): (ServerSettings & { oauth2: boolean }) | null => {
    for (const s of servers ?? []) {
      if (s['@_type'] !== type || !s.hostname) continue
      const socket = String(s.socketType ?? '').toUpperCase()
      const security = socket === 'SSL' ? 'tls' : socket === 'STARTTLS' ? 'starttls' : null
      if (!security) continue // plaintext suggestions are never taken from a file
      const port = Number(s.port)
      const host = fill(String(s.hostname)).trim()
      if (!Number.isInteger(port) || port < 1 || port > 65535 || !/^[a-z0-9.-]{1,253}$/i.test(host))
        continue
      const auth = ([] as string[]).concat(s.authentication ?? []).map(String)
      return {
        host,
        port,
        security,
        username: fill(String(s.username ?? '%EMAILADDRESS%')),
        oauth2: auth.includes('OAuth2') && !auth.some((a) => a.startsWith('password')),
      }
    }
    return null
  }
  const imap = pick(provider.incomingServer, 'imap')
  const smtp = pick(provider.outgoingServer, 'smtp')
  if (!imap || !smtp) return null
  const { oauth2: imapOauth, ...imapSettings } = imap
  const { oauth2: _smtpOauth, ...smtpSettings } = smtp
  return { imap: imapSettings, smtp: smtpSettings, source, oauth2: imapOauth }
}
