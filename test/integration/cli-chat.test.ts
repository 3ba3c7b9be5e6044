import { X509Certificate } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD } from '../support/chat'
import { runCli } from '../support/cli'
import { startFakeXmpp } from '../support/fake-xmpp'
import { useRealKeychain } from '../support/keyring'
import { startProsody, type ProsodyServer } from '../support/prosody'
import { tempDir } from '../support/temp'

let server: ProsodyServer
let keychain: { stop: () => void }

beforeAll(async () => {
  keychain = await useRealKeychain()
  server = await startProsody()
  server.register('alice', PASSWORD)
  server.register('bob', PASSWORD)
})

afterAll(async () => {
  await server?.stop()
  keychain?.stop()
})

describe('cairn chat', () => {
  it('adds accounts, sends text and files, syncs and prints history', async () => {
    const work = tempDir()
    const a = join(work, 'a')
    const b = join(work, 'b')
    const add = (profile: string, jid: string, extra: string[] = []) =>
      runCli(
        [
          'chat',
          'account',
          'add',
          '--profile',
          profile,
          '--jid',
          jid,
          '--password-stdin',
          '--server',
          server.server,
          ...extra,
        ],
        {
          input: `${PASSWORD}\n`,
        },
      )

    const untrusted = await add(a, 'alice@localhost')
    expect(untrusted.code).toBe(1)
    expect(untrusted.stderr).toContain(
      new X509Certificate(readFileSync(server.ca.certFile)).fingerprint256,
    )
    expect(untrusted.stderr).toMatch(/not trusted.*Nothing was sent/)

    const added = await add(a, 'alice@localhost', ['--ca', server.ca.caFile, '--json'])
    expect(added.code, added.stderr).toBe(0)
    expect(JSON.parse(added.stdout)).toMatchObject({ jid: 'alice@localhost' })
    expect((await add(b, 'bob@localhost', ['--ca', server.ca.caFile])).code).toBe(0)

    const noStdin = await runCli([
      'chat',
      'account',
      'add',
      '--profile',
      a,
      '--jid',
      'x@localhost',
      '--password',
      PASSWORD,
    ])
    expect(noStdin.code).toBe(2)

    const sent = await runCli([
      'chat',
      'send',
      '--profile',
      a,
      '--to',
      'bob@localhost',
      '--text',
      'hello from the command line \u009b31m \u202efdp.exe',
    ])
    expect(sent.code, sent.stderr).toBe(0)
    expect(sent.stdout).toMatch(/server confirmed/)
    const file = join(work, 'notes.txt')
    writeFileSync(file, 'file contents\n'.repeat(1000))
    const sentFile = await runCli([
      'chat',
      'send',
      '--profile',
      a,
      '--to',
      'bob@localhost',
      '--file',
      file,
    ])
    expect(sentFile.code, sentFile.stderr).toBe(0)

    const synced = await runCli(['chat', 'sync', '--profile', b, '--once', '--json'])
    expect(synced.code, synced.stderr).toBe(0)
    expect(JSON.parse(synced.stdout)[0]).toMatchObject({ jid: 'bob@localhost', stored: 2 })

    const history = await runCli([
      'chat',
      'history',
      '--profile',
      b,
      '--with',
      'alice@localhost',
      '--json',
      '--limit',
      '10',
    ])
    expect(history.code).toBe(0)
    const messages = JSON.parse(history.stdout).messages as {
      body: string
      direction: string
      attachments: { filename: string }[]
    }[]
    expect(messages.map((m) => m.body)[0]).toBe(
      'hello from the command line \u009b31m \u202efdp.exe',
    )
    const plain = await runCli(['chat', 'history', '--profile', b, '--with', 'alice@localhost'])
    expect(plain.stdout).toContain(
      'alice@localhost: hello from the command line \\u009b31m \\u202efdp.exe',
    )
    // Neither the CSI nor the right-to-left override (which would show "exe.pdf") is obeyed.
    expect(plain.stdout).not.toContain('\u009b')
    expect(plain.stdout).not.toContain('\u202e')
    // Alice is not among bob's contacts: her file is listed, and left on the server until asked for.
    expect(messages[1]?.attachments[0]).toMatchObject({ filename: 'notes.txt', state: 'remote' })

    const own = await runCli(['chat', 'history', '--profile', a, '--with', 'bob@localhost'])
    expect(own.stdout).toMatch(/me: hello from the command line .* \[(sent|delivered)\]/)
  }, 120_000)

  it('exits 1 and keeps the message queued when the connection drops before the server confirms it', async () => {
    const fake = await startFakeXmpp({
      ca: server.ca,
      script: () => undefined,
      onData: (data, connection) => {
        if (data.includes('<message')) connection.cut()
      },
    })
    const profile = join(tempDir(), 'p')
    const added = await runCli(
      [
        'chat',
        'account',
        'add',
        '--profile',
        profile,
        '--jid',
        'alice@localhost',
        '--password-stdin',
        '--server',
        `127.0.0.1:${fake.port}`,
        '--ca',
        server.ca.caFile,
      ],
      { input: 'any\n' },
    )
    expect(added.code, added.stderr).toBe(0)
    const sent = await runCli([
      'chat',
      'send',
      '--profile',
      profile,
      '--to',
      'bob@localhost',
      '--text',
      'never confirmed',
    ])
    expect(sent.code).toBe(1)
    expect(sent.stderr).toMatch(/closed before the server confirmed the message; it stays queued/)
    const history = await runCli([
      'chat',
      'history',
      '--profile',
      profile,
      '--with',
      'bob@localhost',
      '--json',
    ])
    expect(JSON.parse(history.stdout).messages).toMatchObject([
      { body: 'never confirmed', state: 'queued' },
    ])
    await fake.close()
  })

  it('explains usage mistakes', async () => {
    const profile = join(tempDir(), 'p')
    expect(
      (await runCli(['chat', 'send', '--profile', profile, '--to', 'bob@localhost'])).code,
    ).toBe(2)
    const none = await runCli(['chat', 'sync', '--profile', profile, '--once'])
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/no chat account/)
  })
})
