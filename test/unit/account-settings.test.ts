import { describe, expect, it } from 'vitest'
import { parseAutoconfig } from '../../main/mail/accounts/autoconfig-xml'
import {
  assertTransportAllowed,
  isLoopbackHost,
  parseServerUrl,
} from '../../main/mail/accounts/server-settings'
import { backoffAfter } from '../../main/mail/send/send-service'
import { newestFirstChunks, toUidSet } from '../../main/mail/sync/uid-set'
import { isCairnError } from '../../main/shared/errors'

const xml = (incoming: string, outgoing: string) =>
  `<clientConfig version="1.1"><emailProvider id="x"><domain>example.test</domain>${incoming}${outgoing}</emailProvider></clientConfig>`
const server = (
  type: string,
  tag: string,
  socket: string,
  host = 'mail.example.test',
  port = 993,
) =>
  `<${tag} type="${type}"><hostname>${host}</hostname><port>${port}</port><socketType>${socket}</socketType><username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication></${tag}>`

describe('autoconfig files (untrusted input)', () => {
  it('take the first IMAP and SMTP servers with TLS or STARTTLS and fill in the address', () => {
    const found = parseAutoconfig(
      xml(
        server('pop3', 'incomingServer', 'SSL') + server('imap', 'incomingServer', 'SSL'),
        server('smtp', 'outgoingServer', 'STARTTLS', 'smtp.example.test', 587),
      ),
      'me@example.test',
      'test',
    )
    expect(found?.imap).toEqual({
      host: 'mail.example.test',
      port: 993,
      security: 'tls',
      username: 'me',
    })
    expect(found?.smtp).toEqual({
      host: 'smtp.example.test',
      port: 587,
      security: 'starttls',
      username: 'me',
    })
  })

  it('never take a plaintext server, a bad port or a host name with odd characters', () => {
    expect(
      parseAutoconfig(
        xml(
          server('imap', 'incomingServer', 'plain', 'mail.example.test', 143),
          server('smtp', 'outgoingServer', 'SSL'),
        ),
        'me@example.test',
        't',
      ),
    ).toBeNull()
    expect(
      parseAutoconfig(
        xml(
          server('imap', 'incomingServer', 'SSL', 'mail.example.test', 70000),
          server('smtp', 'outgoingServer', 'SSL'),
        ),
        'me@example.test',
        't',
      ),
    ).toBeNull()
    expect(
      parseAutoconfig(
        xml(
          server('imap', 'incomingServer', 'SSL', 'evil.test/../x', 993),
          server('smtp', 'outgoingServer', 'SSL'),
        ),
        'me@example.test',
        't',
      ),
    ).toBeNull()
  })

  it('survive malformed XML, entity tricks and oversized files', () => {
    expect(parseAutoconfig('<clientConfig><emailProvider', 'me@example.test', 't')).toBeNull()
    expect(
      parseAutoconfig(
        '<!DOCTYPE x [<!ENTITY a "aaaa">]><clientConfig>&a;&a;</clientConfig>',
        'me@example.test',
        't',
      ),
    ).toBeNull()
    expect(
      parseAutoconfig(`<x>${'a'.repeat(2 * 1024 * 1024)}</x>`, 'me@example.test', 't'),
    ).toBeNull()
  })
})

describe('server URLs and transport policy', () => {
  it('read the four URL forms of the CLI', () => {
    expect(parseServerUrl('imaps://mail.example.test', 'imap', 'u')).toEqual({
      host: 'mail.example.test',
      port: 993,
      security: 'tls',
      username: 'u',
    })
    expect(parseServerUrl('imap://mail.example.test:1143', 'imap', 'u')).toMatchObject({
      port: 1143,
      security: 'starttls',
    })
    expect(parseServerUrl('smtps://smtp.example.test', 'smtp', 'u')).toMatchObject({
      port: 465,
      security: 'tls',
    })
    expect(parseServerUrl('smtp://smtp.example.test', 'smtp', 'u')).toMatchObject({
      port: 587,
      security: 'starttls',
    })
    expect(() => parseServerUrl('http://x', 'imap', 'u')).toThrow(/imaps:\/\/HOST:PORT/)
  })

  it('refuse plaintext except to loopback or when explicitly allowed', () => {
    const plain = (host: string) => ({ host, port: 143, security: 'plain' as const, username: 'u' })
    expect(
      isLoopbackHost('127.0.0.1') && isLoopbackHost('localhost') && isLoopbackHost('[::1]'),
    ).toBe(true)
    expect(() => assertTransportAllowed(plain('127.0.0.1'), false)).not.toThrow()
    let error: unknown
    try {
      assertTransportAllowed(plain('mail.example.test'), false)
    } catch (e) {
      error = e
    }
    expect(isCairnError(error, 'ACCOUNT_PLAINTEXT_REFUSED')).toBe(true)
    expect(() => assertTransportAllowed(plain('mail.example.test'), true)).not.toThrow()
  })
})

describe('sync and outbox helpers', () => {
  it('write UID sets compactly and chunk newest first', () => {
    expect(toUidSet([5, 1, 2, 3, 9, 10, 12])).toBe('1:3,5,9:10,12')
    expect(newestFirstChunks([1, 2, 3, 4, 5, 6, 7], 2, 3)).toEqual([
      [7, 6],
      [5, 4, 3],
      [2, 1],
    ])
  })

  it('back off between send attempts, up to an hour', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(backoffAfter)).toEqual([
      30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 3_600_000,
    ])
  })
})

describe('OAuth providers as configuration', () => {
  it('are offered for their hosts only when a client id is configured', async () => {
    const { oauthProviderForHost, serverFilesSent } =
      await import('../../main/mail/oauth/providers')
    expect(oauthProviderForHost('imap.gmail.com', {})).toBeNull()
    expect(oauthProviderForHost('imap.gmail.com', { google: 'id-123' })).toMatchObject({
      id: 'google',
      clientId: 'id-123',
      authParams: { access_type: 'offline' },
    })
    expect(oauthProviderForHost('outlook.office365.com', { microsoft: 'ms' })?.scopes).toContain(
      'offline_access',
    )
    expect(oauthProviderForHost('mail.example.test', { google: 'x', microsoft: 'y' })).toBeNull()
    expect(serverFilesSent('imap.gmail.com')).toBe(true)
    expect(serverFilesSent('imap.example.test')).toBe(false)
  })
})
