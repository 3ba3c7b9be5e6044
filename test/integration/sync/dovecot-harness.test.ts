import { ImapFlow } from 'imapflow'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDovecot, type Dovecot } from '../../support/dovecot'
import { otherClient, serverMessageIds } from '../../support/sync-world'
import { makeTestCertificate } from '../../support/test-ca'

describe('the Dovecot test server', () => {
  let dovecot: Dovecot
  const cert = makeTestCertificate()
  beforeAll(async () => {
    dovecot = await startDovecot({ certificate: cert })
  })
  afterAll(async () => {
    await dovecot?.stop()
  })

  it('speaks IMAP over TLS with CONDSTORE, QRESYNC, IDLE and special-use folders', async () => {
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: dovecot.imapsPort,
      secure: true,
      auth: { user: 'alice', pass: 'alice-password' },
      tls: { ca: [readFileSync(cert.caFile)] },
      logger: false,
      qresync: true,
    })
    await client.connect()
    for (const capability of ['CONDSTORE', 'QRESYNC', 'IDLE', 'SPECIAL-USE', 'MOVE', 'UIDPLUS'])
      expect(client.capabilities.has(capability)).toBe(true)
    const list = await client.list()
    expect(list.map((f) => f.specialUse).sort()).toEqual(
      ['\\Archive', '\\Drafts', '\\Inbox', '\\Junk', '\\Sent', '\\Trash'].sort(),
    )
    await client.logout()
  })

  it('serverMessageIds sees a message that arrived after its last look (the folder still selected)', async () => {
    const watcher = await otherClient(dovecot, cert)
    const before = await serverMessageIds(watcher, 'Archive')
    const writer = await otherClient(dovecot, cert)
    await writer.append(
      'Archive',
      'From: a@example.test\r\nTo: b@example.test\r\nSubject: late\r\nMessage-ID: <late@example.test>\r\n\r\nhi\r\n',
    )
    await writer.logout()
    const after = await serverMessageIds(watcher, 'Archive')
    await watcher.logout()
    expect([...after.values()].filter((id) => !new Set(before.values()).has(id))).toEqual([
      'late@example.test',
    ])
  })
})
