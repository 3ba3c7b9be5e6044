import nodemailer from 'nodemailer'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDovecot, type Dovecot } from '../../support/dovecot'
import { startPostfix, type Postfix } from '../../support/postfix'
import { makeTestCertificate } from '../../support/test-ca'
import { otherClient, serverMessageIds, waitFor } from '../../support/sync-world'

describe('the Postfix test server', () => {
  let dovecot: Dovecot
  let postfix: Postfix
  const cert = makeTestCertificate()
  beforeAll(async () => {
    dovecot = await startDovecot({
      certificate: cert,
      users: [
        { name: 'bob', password: 'bob-password' },
        { name: 'alice', password: 'alice-password' },
      ],
    })
    postfix = await startPostfix(dovecot, cert)
  })
  afterAll(async () => {
    await postfix?.stop()
    await dovecot?.stop()
  })

  it('takes authenticated submission over STARTTLS and delivers into Dovecot over LMTP', async () => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: postfix.submissionPort,
      requireTLS: true,
      tls: { ca: [readFileSync(cert.caFile)] },
      auth: { user: 'alice', pass: 'alice-password' },
    })
    await transport.sendMail({
      from: 'alice@example.test',
      to: 'bob@example.test',
      subject: 'harness',
      text: 'hi',
      messageId: '<harness@example.test>',
    })
    const bob = await otherClient(dovecot, cert, 'bob', 'bob-password')
    await waitFor(
      async () =>
        [...(await serverMessageIds(bob, 'INBOX')).values()].includes('harness@example.test'),
      10_000,
      200,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${postfix.log()}`)
    })
    await bob.logout()
    // Unauthenticated relaying is refused.
    const anonymous = nodemailer.createTransport({
      host: '127.0.0.1',
      port: postfix.submissionPort,
      requireTLS: true,
      tls: { ca: [readFileSync(cert.caFile)] },
    })
    await expect(
      anonymous.sendMail({
        from: 'x@example.org',
        to: 'bob@example.test',
        subject: 'no',
        text: 'no',
      }),
    ).rejects.toThrow(/reject|denied|Relay|Authentication/i)
  })
})
