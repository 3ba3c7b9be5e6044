import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChatService } from '../../main/chat/chat-service'
import { systemSrv } from '../../main/chat/server-discovery'
import { UntrustedCertificateError } from '../../main/chat/xmpp/transport'
import { accountSecretName, accountSecrets } from '../../main/keychain/account-secrets'
import { osKeychain } from '../../main/keychain/keychain'
import { openMailDb, type MailDb } from '../../main/mail/db/connection'
import { openProfile, type Profile } from '../../main/profile/profile'
import { isCairnError } from '../../main/shared/errors'
import { PASSWORD } from '../support/chat'
import { startDns } from '../support/dns'
import { startFakeXmpp } from '../support/fake-xmpp'
import { useRealKeychain } from '../support/keyring'
import { makeTestCa, startProsody, type ProsodyServer } from '../support/prosody'
import { tempDir } from '../support/temp'

let server: ProsodyServer
let keychain: { stop: () => void }
let dns: { address: string; close(): void }

beforeAll(async () => {
  keychain = await useRealKeychain()
  server = await startProsody()
  for (const user of ['alice', 'bob', 'dave']) server.register(user, PASSWORD)
  dns = await startDns({
    '_xmpp-client._tcp.localhost': [
      { priority: 10, weight: 5, port: server.port, target: 'localhost' },
    ],
    '_xmpp-client._tcp.nochat.test': [{ priority: 0, weight: 0, port: 0, target: '.' }],
  })
})

afterAll(async () => {
  dns?.close()
  await server?.stop()
  keychain?.stop()
})

function open(): { profile: Profile; db: MailDb; chat: ChatService } {
  const profile = openProfile(join(tempDir(), 'profile'))
  const db = openMailDb(profile.paths.database)
  const chat = new ChatService(db, profile.paths, accountSecrets(osKeychain(), profile.id), {
    lookup: systemSrv([dns.address]),
  })
  return { profile, db, chat }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a failure')
}

const ca = () => readFileSync(server.ca.caFile, 'utf8')
const accountRows = (db: MailDb) =>
  (db.prepare(`SELECT count(*) AS n FROM accounts WHERE kind = 'xmpp'`).get() as { n: number }).n

describe('chat accounts', () => {
  it('adds an account after a verified TLS login; the password is only in the keychain', async () => {
    const { profile, db, chat } = open()
    const account = await chat.addAccount({
      jid: 'Alice@LocalHost',
      password: PASSWORD,
      server: server.server,
      ca: ca(),
    })
    expect(account.jid).toBe('alice@localhost')
    const row = db
      .prepare('SELECT kind, email, config_json FROM accounts WHERE id = ?')
      .get(account.id) as Record<string, string>
    expect(row).toMatchObject({ kind: 'xmpp', email: 'alice@localhost' })
    expect(row.config_json).not.toContain(PASSWORD)
    expect(JSON.parse(row.config_json as string)).toMatchObject({
      host: '127.0.0.1',
      port: server.port,
    })
    expect(osKeychain().get(accountSecretName(profile.id, account.id, 'password'))).toBe(PASSWORD)
    expect(readFileSync(profile.paths.settings, 'utf8')).not.toContain(PASSWORD)
    await expect(
      chat.addAccount({
        jid: 'alice@localhost',
        password: PASSWORD,
        server: server.server,
        ca: ca(),
      }),
    ).rejects.toMatchObject({
      code: 'CHAT_ACCOUNT_EXISTS',
    })
    db.close()
    profile.close()
  })

  it('refuses a certificate no trusted CA vouches for, showing its fingerprint, and stores nothing', async () => {
    const { profile, db, chat } = open()
    const error = await rejection(
      chat.addAccount({ jid: 'alice@localhost', password: PASSWORD, server: server.server }),
    )
    expect(error).toBeInstanceOf(UntrustedCertificateError)
    const fingerprint = new X509Certificate(readFileSync(server.ca.certFile)).fingerprint256
    expect((error as UntrustedCertificateError).fingerprint).toBe(fingerprint)
    expect(error.message).toContain(fingerprint)
    expect(accountRows(db)).toBe(0)
    // Trusting that exact certificate, explicitly, is the user's choice; another fingerprint is not enough.
    const other = new X509Certificate(readFileSync(makeTestCa(tempDir()).certFile)).fingerprint256
    await expect(
      chat.addAccount({
        jid: 'alice@localhost',
        password: PASSWORD,
        server: server.server,
        trustedFingerprint: other,
      }),
    ).rejects.toBeInstanceOf(UntrustedCertificateError)
    const pinned = await chat.addAccount({
      jid: 'alice@localhost',
      password: PASSWORD,
      server: server.server,
      trustedFingerprint: fingerprint,
    })
    expect(pinned.config.trustedFingerprint).toBe(fingerprint)
    db.close()
    profile.close()
  })

  it('refuses a wrong password with a clear error and stores nothing', async () => {
    const { profile, db, chat } = open()
    const error = await rejection(
      chat.addAccount({
        jid: 'bob@localhost',
        password: 'not it',
        server: server.server,
        ca: ca(),
      }),
    )
    expect(isCairnError(error, 'CHAT_AUTH_FAILED')).toBe(true)
    expect(error.message).toMatch(
      /refused the login for bob@localhost.*Check the address and password/,
    )
    expect(accountRows(db)).toBe(0)
    db.close()
    profile.close()
  })

  it('never logs in to a server that offers no TLS: the password is not sent', async () => {
    const fake = await startFakeXmpp({ ca: server.ca, offerTls: false, script: () => undefined })
    const { profile, db, chat } = open()
    const error = await rejection(
      chat.addAccount({
        jid: 'bob@localhost',
        password: PASSWORD,
        server: `127.0.0.1:${fake.port}`,
        ca: ca(),
      }),
    )
    expect(isCairnError(error, 'CHAT_TLS_REQUIRED')).toBe(true)
    expect(fake.plaintext()).toContain('<stream:stream')
    expect(fake.plaintext()).not.toContain('<auth')
    expect(fake.plaintext()).not.toContain(Buffer.from(PASSWORD).toString('base64').slice(0, 12))
    expect(accountRows(db)).toBe(0)
    await fake.close()
    db.close()
    profile.close()
  })

  it('connects with direct TLS (XEP-0368) when asked, with the same certificate checks', async () => {
    const { profile, db, chat } = open()
    const direct = `127.0.0.1:${server.directTlsPort}`
    await expect(
      chat.addAccount({
        jid: 'bob@localhost',
        password: PASSWORD,
        server: direct,
        directTls: true,
      }),
    ).rejects.toBeInstanceOf(UntrustedCertificateError)
    const account = await chat.addAccount({
      jid: 'bob@localhost',
      password: PASSWORD,
      server: direct,
      directTls: true,
      ca: ca(),
    })
    expect(account.config).toMatchObject({ port: server.directTlsPort, directTls: true })
    db.close()
    profile.close()
  })

  it('finds the server through SRV records when none is given', async () => {
    const { profile, db, chat } = open()
    const account = await chat.addAccount({ jid: 'bob@localhost', password: PASSWORD, ca: ca() })
    expect(account.config.host).toBeUndefined()
    await chat.syncOnce(account.id) // connects again the same way
    db.close()
    profile.close()
  })

  it('adds chat to a mail account in one step when its domain offers XMPP, and says so when it does not', async () => {
    const { profile, db, chat } = open()
    const secrets = accountSecrets(osKeychain(), profile.id)
    const mailId = Number(
      db
        .prepare(
          `INSERT INTO accounts (kind, name, email, created_at) VALUES ('imap', 'Dave at work', 'dave@localhost', 1)`,
        )
        .run().lastInsertRowid,
    )
    secrets.set(mailId, 'password', PASSWORD)
    const account = await chat.addFromMailAccount(mailId, { ca: ca() })
    expect(account).toMatchObject({ jid: 'dave@localhost', name: 'Dave at work' })
    expect(secrets.get(account.id, 'password')).toBe(PASSWORD)

    const noChat = Number(
      db
        .prepare(
          `INSERT INTO accounts (kind, name, email, created_at) VALUES ('imap', 'x', 'eve@nochat.test', 1)`,
        )
        .run().lastInsertRowid,
    )
    secrets.set(noChat, 'password', 'whatever')
    const error = await rejection(chat.addFromMailAccount(noChat))
    expect(isCairnError(error, 'CHAT_NO_XMPP')).toBe(true)
    expect(error.message).toContain('nochat.test')
    db.close()
    profile.close()
  })
})
