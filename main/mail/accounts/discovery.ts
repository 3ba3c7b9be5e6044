import type { LookupFunction } from 'node:net'
import { connect } from 'node:net'
import { request } from 'node:https'
import { promises as dnsPromises } from 'node:dns'
import { rootCertificates } from 'node:tls'
import { readFileSync } from 'node:fs'
import { CairnError } from '../../shared/errors.js'
import { parseAutoconfig, type DiscoveredSettings } from './autoconfig-xml.js'
import type { ServerSettings } from './server-settings.js'

export interface DiscoveryOptions {
  /** Thunderbird's ISPDB (default: its public server; CAIRN_ISPDB_URL overrides, like Thunderbird's pref). */
  ispdbUrl?: string
  /** DNS servers for the SRV look-up (default: CAIRN_DNS_SERVERS, comma-separated, else the system's). */
  dnsServers?: string[]
  /** Resolve host names for the HTTPS look-ups (default: the system's resolver). */
  lookup?: LookupFunction
  /** Port for the HTTPS look-ups (default 443). */
  httpsPort?: number
  /** Extra CA (PEM file) for the HTTPS look-ups. */
  caFile?: string
  /**
   * Each network step gives up after this long (default 8 s): an HTTPS
   * look-up as a whole, not only its silences.
   */
  timeoutMs?: number
  /** Also try well-known host names (imap.<domain>, mail.<domain>, smtp.<domain>) by connecting. */
  guess?: boolean
}

export const DEFAULT_ISPDB = 'https://autoconfig.thunderbird.net/v1.1/'

/**
 * Find the IMAP and SMTP settings for an address the way Thunderbird does:
 * the domain's own autoconfig file (autoconfig.<domain>, then
 * <domain>/.well-known/autoconfig), Thunderbird's ISPDB, RFC 6186/8314 SRV
 * records, then well-known host names. Only TLS or STARTTLS settings are
 * accepted; files are fetched over HTTPS only (a file fetched in clear
 * could send the password elsewhere).
 */
export async function discoverSettings(
  email: string,
  options: DiscoveryOptions = {},
): Promise<DiscoveredSettings> {
  const domain = email.split('@')[1]?.toLowerCase() ?? ''
  if (!/^[a-z0-9.-]{1,253}$/.test(domain))
    throw new CairnError('INVALID_ARGUMENT', `"${email}" has no usable domain.`)
  const encoded = encodeURIComponent(email)
  const ispdb = options.ispdbUrl ?? process.env.CAIRN_ISPDB_URL ?? DEFAULT_ISPDB
  const candidates: [string, string][] = [
    [
      `https://autoconfig.${domain}/mail/config-v1.1.xml?emailaddress=${encoded}`,
      `autoconfig.${domain}`,
    ],
    [
      `https://${domain}/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=${encoded}`,
      domain,
    ],
    [`${ispdb.replace(/\/?$/, '/')}${domain}`, 'the Thunderbird ISP database'],
  ]
  for (const [url, source] of candidates) {
    const text = await fetchText(url, options).catch(() => null)
    const settings = text ? parseAutoconfig(text, email, source) : null
    if (settings) return settings
  }
  const srv = await fromSrv(domain, email, options).catch(() => null)
  if (srv) return srv
  if (options.guess !== false) {
    const guessed = await guessHosts(domain, email, options)
    if (guessed) return guessed
  }
  throw new CairnError(
    'ACCOUNT_SETTINGS_NOT_FOUND',
    `Cairn could not find the mail server settings for ${domain}. Enter them by hand (IMAP and SMTP server names and ports).`,
  )
}

/** An autoconfig file is a few kilobytes; anything far larger is not one. */
const MAX_AUTOCONFIG_BYTES = 1024 * 1024

/**
 * GET a file over HTTPS: null unless the answer is 200. The whole request
 * (connection, headers, body) has one deadline: a server that answers a
 * byte a second never goes silent long enough for an idle timeout, and
 * would hold the setup screen for as long as it likes.
 */
function fetchText(url: string, options: DiscoveryOptions): Promise<string | null> {
  const u = new URL(url)
  const ca = options.caFile
    ? [...rootCertificates, readFileSync(options.caFile, 'utf8')]
    : undefined
  const timeoutMs = options.timeoutMs ?? 8000
  let deadline: NodeJS.Timeout | undefined
  return new Promise<string | null>((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        servername: /^[\d.]+$|:/.test(u.hostname) ? undefined : u.hostname,
        port: options.httpsPort ?? (u.port ? Number(u.port) : 443),
        path: `${u.pathname}${u.search}`,
        method: 'GET',
        lookup: options.lookup,
        ca,
        timeout: timeoutMs,
        headers: { accept: 'application/xml, text/xml' },
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume()
          return resolve(null)
        }
        let size = 0
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > MAX_AUTOCONFIG_BYTES) req.destroy(new Error('autoconfig file too large'))
          else chunks.push(chunk)
        })
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
    deadline = setTimeout(() => req.destroy(new Error('timed out')), timeoutMs)
    req.end()
  }).finally(() => clearTimeout(deadline))
}

async function fromSrv(
  domain: string,
  email: string,
  options: DiscoveryOptions,
): Promise<DiscoveredSettings | null> {
  const resolver = new dnsPromises.Resolver({ timeout: options.timeoutMs ?? 8000, tries: 1 })
  const servers =
    options.dnsServers ??
    process.env.CAIRN_DNS_SERVERS?.split(',')
      .map((server) => server.trim())
      .filter(Boolean)
  if (servers?.length) resolver.setServers(servers)
  const first = async (names: [string, ServerSettings['security']][]) => {
    for (const [name, security] of names) {
      const records = await resolver.resolveSrv(`${name}.${domain}`).catch(() => [])
      // RFC 2782: lowest priority first, then highest weight; "." means "not offered".
      const best = records
        .filter((r) => r.name && r.name !== '.')
        .sort((a, b) => a.priority - b.priority || b.weight - a.weight)[0]
      if (best)
        return { host: best.name.replace(/\.$/, ''), port: best.port, security, username: email }
    }
    return null
  }
  const imap = await first([
    ['_imaps._tcp', 'tls'],
    ['_imap._tcp', 'starttls'],
  ])
  const smtp = await first([
    ['_submissions._tcp', 'tls'],
    ['_submission._tcp', 'starttls'],
  ])
  if (!imap || !smtp) return null
  // As CLI server URLs (imaps:// TLS, imap:// STARTTLS), so confirming is giving them.
  const unconfirmed = (
    [
      ['imap', imap],
      ['smtp', smtp],
    ] as const
  )
    .filter(([, s]) => !inDomain(s.host, domain))
    .map(([scheme, s]) => `${scheme}${s.security === 'tls' ? 's' : ''}://${s.host}:${s.port}`)
  return {
    imap,
    smtp,
    source: 'SRV records',
    oauth2: false,
    ...(unconfirmed.length ? { unconfirmed } : {}),
  }
}

/** True when `host` is `domain` or a name under it (RFC 6186 §6's test for SRV targets). */
export function inDomain(host: string, domain: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '')
  const d = domain.toLowerCase()
  return h === d || h.endsWith(`.${d}`)
}

async function guessHosts(
  domain: string,
  email: string,
  options: DiscoveryOptions,
): Promise<DiscoveredSettings | null> {
  const open = (host: string, port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = connect({
        host,
        port,
        timeout: options.timeoutMs ?? 4000,
        lookup: options.lookup,
      })
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
      socket.once('timeout', () => {
        socket.destroy()
        resolve(false)
      })
    })
  const find = async (hosts: string[], ports: [number, ServerSettings['security']][]) => {
    for (const host of hosts)
      for (const [port, security] of ports)
        if (await open(host, port)) return { host, port, security, username: email }
    return null
  }
  const imap = await find(
    [`imap.${domain}`, `mail.${domain}`],
    [
      [993, 'tls'],
      [143, 'starttls'],
    ],
  )
  if (!imap) return null
  const smtp = await find(
    [`smtp.${domain}`, `mail.${domain}`],
    [
      [465, 'tls'],
      [587, 'starttls'],
    ],
  )
  return smtp ? { imap, smtp, source: 'well-known server names', oauth2: false } : null
}

export type { DiscoveredSettings }
