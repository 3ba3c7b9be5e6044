import type { LookupFunction } from 'node:net'
import { lookup as systemLookup } from 'node:dns'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { discoverSettings } from '../../../main/mail/accounts/discovery'
import { isCairnError } from '../../../main/shared/errors'
import { startSrvDns } from '../../support/srv-dns'
import { makeTestCertificate } from '../../support/test-ca'
import { within } from '../../support/within'

/** Thunderbird's config-v1.1.xml for a host. */
const autoconfig = (
  host: string,
  imapPort: number,
  smtpPort: number,
) => `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <incomingServer type="imap"><hostname>${host}</hostname><port>${imapPort}</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication></incomingServer>
    <outgoingServer type="smtp"><hostname>${host}</hostname><port>${smtpPort}</port><socketType>STARTTLS</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication></outgoingServer>
  </emailProvider>
</clientConfig>`

const cert = makeTestCertificate('discovery', [
  'example.test',
  'autoconfig.example.test',
  'other.test',
  'autoconfig.other.test',
  'srv.test',
  'autoconfig.srv.test',
  'nothing.test',
  'autoconfig.nothing.test',
  'slow.test',
  'autoconfig.slow.test',
])
let https: Server
let port: number
const requests: string[] = []

// The test domains resolve to this machine (as a DNS server would make them).
const lookup: LookupFunction = (host, options, callback) => {
  if (/(^|\.)(example|other|srv|nothing|slow)\.test$/.test(host)) {
    if ((options as { all?: boolean }).all)
      (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address: '127.0.0.1', family: 4 },
      ])
    else (callback as (e: null, a: string, f: number) => void)(null, '127.0.0.1', 4)
    return
  }
  systemLookup(host, options, callback as never)
}

beforeAll(async () => {
  https = createServer(
    { cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) },
    (req, res) => {
      const host = req.headers.host?.split(':')[0] ?? ''
      requests.push(`${host}${req.url}`)
      // slow.test's files (and the ISPDB's entry for it) come a byte at a time and never end.
      if (host.endsWith('slow.test') || req.url?.endsWith('/slow.test')) {
        res.writeHead(200, { 'content-type': 'application/xml' })
        const trickle = setInterval(() => res.write('<'), 200)
        res.on('close', () => clearInterval(trickle))
        return
      }
      if (
        host === 'autoconfig.example.test' &&
        req.url?.startsWith('/mail/config-v1.1.xml?emailaddress=me%40example.test')
      )
        return res.writeHead(200).end(autoconfig('imap.example.test', 993, 587))
      if (
        host === 'other.test' &&
        req.url?.startsWith('/.well-known/autoconfig/mail/config-v1.1.xml')
      )
        return res.writeHead(200).end(autoconfig('mail.other.test', 10993, 10587))
      res.writeHead(404).end()
    },
  )
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve))
  port = (https.address() as { port: number }).port
})
afterAll(() => {
  https?.closeAllConnections()
  https?.close()
})

const options = (extra: object = {}) => ({
  lookup,
  httpsPort: port,
  caFile: cert.caFile,
  ispdbUrl: `https://127.0.0.1:${port}/ispdb/`,
  guess: false,
  timeoutMs: 2000,
  ...extra,
})

describe('account settings from the address (Thunderbird’s order)', () => {
  it('takes the domain’s autoconfig.<domain> file first, with placeholders filled in', async () => {
    const found = await discoverSettings('me@example.test', options())
    expect(found).toEqual({
      imap: { host: 'imap.example.test', port: 993, security: 'tls', username: 'me@example.test' },
      smtp: {
        host: 'imap.example.test',
        port: 587,
        security: 'starttls',
        username: 'me@example.test',
      },
      source: 'autoconfig.example.test',
      oauth2: false,
    })
  })

  it('falls back to <domain>/.well-known/autoconfig when there is no autoconfig host file', async () => {
    requests.length = 0
    const found = await discoverSettings('you@other.test', options())
    expect(found.source).toBe('other.test')
    expect(found.imap).toMatchObject({ host: 'mail.other.test', port: 10993 })
    expect(requests[0]).toMatch(/^autoconfig\.other\.test\/mail\/config-v1\.1\.xml/)
    expect(requests[1]).toMatch(/^other\.test\/\.well-known\/autoconfig\/mail\/config-v1\.1\.xml/)
  })

  it('then RFC 6186 SRV records (submission over TLS preferred by RFC 8314)', async () => {
    const dns = await startSrvDns({
      '_imaps._tcp.srv.test': [
        { priority: 20, weight: 0, port: 993, target: 'backup-imap.srv.test' },
        { priority: 10, weight: 5, port: 993, target: 'imap.srv.test' },
      ],
      '_submissions._tcp.srv.test': [
        { priority: 0, weight: 0, port: 465, target: 'smtp.srv.test' },
      ],
    })
    try {
      const found = await discoverSettings('me@srv.test', options({ dnsServers: [dns.server] }))
      expect(found).toMatchObject({
        source: 'SRV records',
        imap: { host: 'imap.srv.test', port: 993, security: 'tls' },
        smtp: { host: 'smtp.srv.test', port: 465, security: 'tls' },
      })
    } finally {
      dns.close()
    }
  })

  it('says clearly when nothing is found, so the user enters the settings by hand', async () => {
    const dns = await startSrvDns({})
    try {
      const error = await discoverSettings(
        'me@nothing.test',
        options({ dnsServers: [dns.server] }),
      ).catch((e: unknown) => e)
      expect(isCairnError(error, 'ACCOUNT_SETTINGS_NOT_FOUND')).toBe(true)
      expect((error as Error).message).toMatch(/Enter them by hand/)
    } finally {
      dns.close()
    }
  })

  it('does not trust an autoconfig server whose certificate does not verify', async () => {
    const dns = await startSrvDns({})
    try {
      const error = await discoverSettings('me@example.test', {
        ...options({ dnsServers: [dns.server] }),
        caFile: undefined,
      }).catch((e: unknown) => e)
      expect(isCairnError(error, 'ACCOUNT_SETTINGS_NOT_FOUND')).toBe(true)
    } finally {
      dns.close()
    }
  })

  it('gives up on an autoconfig server that trickles a byte at a time and never ends, within its deadline', async () => {
    // The trickle is faster than the idle timeout (2 s), so only a deadline
    // on the whole request ends it; three such look-ups (autoconfig host,
    // .well-known, ISPDB) must not hold the setup for minutes.
    const dns = await startSrvDns({})
    try {
      const started = Date.now()
      const error = await within(
        discoverSettings('me@slow.test', options({ dnsServers: [dns.server] })).catch(
          (e: unknown) => e,
        ),
        'discovery to give up on the trickling server',
        30_000,
      )
      expect(isCairnError(error, 'ACCOUNT_SETTINGS_NOT_FOUND')).toBe(true)
      // Three look-ups of at most 2 s each, and the (empty) SRV answers.
      expect(Date.now() - started).toBeLessThan(9_000)
    } finally {
      dns.close()
    }
  })
})
