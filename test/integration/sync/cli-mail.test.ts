import { readFileSync, readdirSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import Database from 'better-sqlite3'
import { CLI, runCli } from '../../support/cli'
import { startStallingRelay } from '../../support/tampering-relay'
import { useRealKeychain } from '../../support/keyring'
import { seedMaildir, startDovecot, type Dovecot } from '../../support/dovecot'
import { startPostfix, type Postfix } from '../../support/postfix'
import { makeTestCertificate } from '../../support/test-ca'
import { tempDir } from '../../support/temp'
import { otherClient, realisticMessage, serverMessageIds, waitFor } from '../../support/sync-world'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
let dovecot: Dovecot
let postfix: Postfix
let ispdb: Server
let ispdbUrl: string
const cert = makeTestCertificate()

beforeAll(async () => {
  keyring = await useRealKeychain()
  dovecot = await startDovecot({
    certificate: cert,
    users: ['alice', 'bob', 'dave'].map((name) => ({ name, password: `${name}-password` })),
  })
  postfix = await startPostfix(dovecot, cert)
  // Thunderbird's ISPDB format, served over HTTPS like the real one.
  ispdb = createServer(
    { cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) },
    (req, res) => {
      if (req.url !== '/v1.1/example.test') return res.writeHead(404).end()
      res.writeHead(200, { 'content-type': 'application/xml' }).end(`<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <incomingServer type="pop3"><hostname>127.0.0.1</hostname><port>995</port><socketType>SSL</socketType></incomingServer>
    <incomingServer type="imap">
      <hostname>127.0.0.1</hostname><port>${dovecot.imapPort}</port><socketType>STARTTLS</socketType>
      <username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>127.0.0.1</hostname><port>${postfix.submissionPort}</port><socketType>STARTTLS</socketType>
      <username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>`)
    },
  )
  await new Promise<void>((resolve) => ispdb.listen(0, '127.0.0.1', resolve))
  ispdbUrl = `https://127.0.0.1:${(ispdb.address() as { port: number }).port}/v1.1/`
})
afterAll(async () => {
  ispdb?.close()
  await postfix?.stop()
  await dovecot?.stop()
  keyring?.stop()
})

const profileDir = () => join(tempDir('cairn-cli-mail-'), 'profile')

function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) hits.push(...filesContaining(path, needle))
    else if (readFileSync(path).includes(needle)) hits.push(path)
  }
  return hits
}

describe('cairn account, sync, send and search', () => {
  it('adds an account by manual settings, syncs, sends through Postfix and searches, keeping the password out of the profile', async () => {
    seedMaildir(
      dovecot,
      'alice',
      [0, 1, 2].map((i) => ({ raw: realisticMessage(i) })),
    )
    const profile = profileDir()
    const add = await runCli(
      [
        'account',
        'add',
        '--profile',
        profile,
        '--email',
        'alice@example.test',
        '--password-stdin',
        '--imap',
        `imaps://127.0.0.1:${dovecot.imapsPort}`,
        '--smtp',
        `smtp://127.0.0.1:${postfix.submissionPort}`,
        '--user',
        'alice',
        '--ca',
        cert.caFile,
        '--json',
      ],
      { input: 'alice-password\n' },
    )
    expect(add.stderr).toBe('')
    expect(add.code).toBe(0)
    const { accountId } = JSON.parse(add.stdout) as { accountId: number }

    const list = await runCli(['account', 'list', '--profile', profile, '--json'])
    expect(JSON.parse(list.stdout)).toMatchObject([
      {
        id: accountId,
        email: 'alice@example.test',
        imap: { security: 'tls', port: dovecot.imapsPort },
        smtp: { security: 'starttls' },
      },
    ])

    const sync = await runCli(['sync', '--profile', profile, '--once', '--json'])
    expect(sync.code).toBe(0)
    expect(JSON.parse(sync.stdout).accounts[0]).toMatchObject({
      accountId,
      added: 3,
      bodies: 3,
      error: null,
    })

    const send = await runCli([
      'send',
      '--profile',
      profile,
      '--to',
      'bob@example.test',
      '--subject',
      'Quarterly numbers',
      '--body',
      'See the attached budget.',
      '--json',
    ])
    expect(send.code).toBe(0)
    const { messageId, sent } = JSON.parse(send.stdout) as { messageId: string; sent: boolean }
    expect(sent).toBe(true)
    const bob = await otherClient(dovecot, cert, 'bob', 'bob-password')
    await waitFor(
      async () =>
        [...(await serverMessageIds(bob, 'INBOX')).values()].includes(messageId.slice(1, -1)),
      10_000,
      200,
    )
    await bob.logout()

    await runCli(['sync', '--profile', profile, '--once'])
    const search = await runCli([
      'search',
      '--profile',
      profile,
      '--json',
      '--limit',
      '5',
      'quarterly numb',
    ])
    expect(search.code).toBe(0)
    expect(JSON.parse(search.stdout)).toMatchObject([
      { subject: 'Quarterly numbers', folderName: 'Sent' },
    ])
    const words = await runCli(['search', '--profile', profile, 'Sender', '1'])
    expect(words.stdout).toMatch(/Inbox\s+Sender 1\s/)

    // The password is in the keychain, nowhere in the profile.
    expect(filesContaining(profile, 'alice-password')).toEqual([])
  })

  it('adds an account from the address alone, by the ISP database, and reports a wrong password', async () => {
    const profile = profileDir()
    const env = { CAIRN_ISPDB_URL: ispdbUrl }
    const add = await runCli(
      [
        'account',
        'add',
        '--profile',
        profile,
        '--email',
        'dave@example.test',
        '--password-stdin',
        '--ca',
        cert.caFile,
        '--json',
      ],
      {
        input: 'dave-password',
        env,
      },
    )
    expect(add.stderr).toBe('')
    expect(JSON.parse(add.stdout).account).toMatchObject({
      imap: { host: '127.0.0.1', port: dovecot.imapPort, security: 'starttls', username: 'dave' },
      smtp: {
        host: '127.0.0.1',
        port: postfix.submissionPort,
        security: 'starttls',
        username: 'dave',
      },
    })
    const wrong = await runCli(
      [
        'account',
        'add',
        '--profile',
        profileDir(),
        '--email',
        'dave@example.test',
        '--password-stdin',
        '--ca',
        cert.caFile,
      ],
      {
        input: 'nope',
        env,
      },
    )
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/refused the sign-in.*Check the password/)
  })

  it('shows an untrusted certificate’s fingerprint and adds the account only when told to trust it', async () => {
    const profile = profileDir()
    const args = [
      'account',
      'add',
      '--profile',
      profile,
      '--email',
      'alice@example.test',
      '--password-stdin',
      '--user',
      'alice',
      '--imap',
      `imaps://127.0.0.1:${dovecot.imapsPort}`,
      '--smtp',
      `smtp://127.0.0.1:${postfix.submissionPort}`,
    ]
    const refused = await runCli(args, { input: 'alice-password' })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(cert.fingerprint256)
    expect(refused.stderr).toMatch(/--trust-imap/)
    const trusted = await runCli(
      [...args, '--trust-imap', cert.fingerprint256, '--trust-smtp', cert.fingerprint256],
      { input: 'alice-password' },
    )
    expect(trusted.stderr).toMatch(/^Added alice@example.test/)
    expect(trusted.code).toBe(0)
  })

  it('keeps a message in the outbox while SMTP is down and sends it with the next sync', async () => {
    const profile = profileDir()
    await runCli(
      [
        'account',
        'add',
        '--profile',
        profile,
        '--email',
        'alice@example.test',
        '--password-stdin',
        '--user',
        'alice',
        '--ca',
        cert.caFile,
        '--imap',
        `imaps://127.0.0.1:${dovecot.imapsPort}`,
        '--smtp',
        `smtp://127.0.0.1:${postfix.submissionPort}`,
      ],
      { input: 'alice-password' },
    )
    await postfix.stop()
    const send = await runCli([
      'send',
      '--profile',
      profile,
      '--to',
      'bob@example.test',
      '--subject',
      'Outbox test',
      '--body',
      'later',
    ])
    expect(send.code).toBe(1)
    expect(send.stdout).toMatch(/waits in the outbox: .*cannot be reached/)
    await postfix.start()
    const sync = await runCli(['sync', '--profile', profile, '--once', '--json'])
    expect(JSON.parse(sync.stdout).outbox).toEqual([])
    expect(sync.code).toBe(0)
    const bob = await otherClient(dovecot, cert, 'bob', 'bob-password')
    const subjects = async () => {
      const lock = await bob.getMailboxLock('INBOX')
      try {
        const out: string[] = []
        for await (const m of bob.fetch('1:*', { envelope: true }))
          out.push(m.envelope?.subject ?? '')
        return out
      } finally {
        lock.release()
      }
    }
    await waitFor(
      async () => (await subjects()).filter((s) => s === 'Outbox test').length === 1,
      10_000,
      200,
    )
    await bob.logout()
  })

  it('loses nothing when the app is killed mid-send: the message is sent at the next run, once', async () => {
    const profile = profileDir()
    const relay = await startStallingRelay(postfix.submissionPort)
    try {
      await runCli(
        [
          'account',
          'add',
          '--profile',
          profile,
          '--email',
          'alice@example.test',
          '--password-stdin',
          '--user',
          'alice',
          '--ca',
          cert.caFile,
          '--imap',
          `imaps://127.0.0.1:${dovecot.imapsPort}`,
          '--smtp',
          `smtp://127.0.0.1:${relay.port}`,
        ],
        { input: 'alice-password' },
      )
      relay.stalled = true
      const child = spawn(
        process.execPath,
        [
          CLI,
          'send',
          '--profile',
          profile,
          '--to',
          'bob@example.test',
          '--subject',
          'Killed mid-send',
          '--body',
          'x',
        ],
        { stdio: 'ignore' },
      )
      const outbox = () => {
        const db = new Database(join(profile, 'mail.sqlite'), { readonly: true })
        try {
          return db.prepare('SELECT state FROM outbox').all() as { state: string }[]
        } finally {
          db.close()
        }
      }
      await waitFor(() => outbox()[0]?.state === 'sending', 10_000, 50)
      child.kill('SIGKILL')
      await new Promise((r) => child.once('exit', r))
      expect(outbox()).toEqual([{ state: 'sending' }])

      relay.stalled = false
      const sync = await runCli(['sync', '--profile', profile, '--once', '--json'])
      expect(JSON.parse(sync.stdout).outbox).toEqual([])
      const bob = await otherClient(dovecot, cert, 'bob', 'bob-password')
      const count = async () => {
        const lock = await bob.getMailboxLock('INBOX')
        try {
          let n = 0
          for await (const m of bob.fetch('1:*', { envelope: true }))
            if (m.envelope?.subject === 'Killed mid-send') n++
          return n
        } finally {
          lock.release()
        }
      }
      await waitFor(async () => (await count()) === 1, 10_000, 200)
      await new Promise((r) => setTimeout(r, 1000))
      expect(await count()).toBe(1)
      await bob.logout()
    } finally {
      await relay.close()
    }
  })
})
