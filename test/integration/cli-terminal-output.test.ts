import { createServer, type Server } from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../support/cli'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { tempDir } from '../support/temp'

/**
 * What others wrote, as a terminal would obey it: an OSC 8 hyperlink that
 * hides its target behind "click", a C1 CSI that clears the screen, a BEL,
 * a carriage return that overwrites the start of the line, and a
 * right-to-left override that makes "exe.pdf" read as "fdp.exe".
 */
const HOSTILE =
  '\u001b]8;;https://evil.example/\u0007click\u001b]8;;\u0007 \u009b2J\u0007\rfake \u202efdp.exe'
const OBEYED = ['\u001b', '\u009b', '\u0007', '\r', '\u202e']

function expectShownNotObeyed(output: string): void {
  for (const c of OBEYED) expect(output, JSON.stringify(c)).not.toContain(c)
  expect(output).toContain('\\u001b]8;;https://evil.example/\\u0007click')
  expect(output).toContain('\\u009b2J\\u0007\\u000dfake \\u202efdp.exe')
}

const encoded = (text: string) => `=?utf-8?B?${Buffer.from(text).toString('base64')}?=`

describe('the CLI shows what others wrote, it does not let it drive the terminal', () => {
  it('cairn search: subjects, senders and folder names are escaped, one line per hit; --json stays JSON', async () => {
    const profile = tempDir()
    const mbox = join(tempDir(), `Folder ${HOSTILE.replace(/\//g, '_')}`)
    writeFileSync(
      mbox,
      buildMbox([
        buildMessage({
          subject: encoded(`Invoice ${HOSTILE}\nfaked second hit`),
          from: `${encoded(`Boss ${HOSTILE}`)} <boss@example.com>`,
          text: 'quarterly zanzibar figures\n',
        }),
      ]),
    )
    const imported = await runCli(['import', '--profile', profile, mbox])
    expect(imported.code, imported.stderr).toBe(0)
    const found = await runCli(['search', '--profile', profile, 'zanzibar'])
    expect(found.code, found.stderr).toBe(0)
    expectShownNotObeyed(found.stdout)
    expect(found.stdout.trimEnd().split('\n')).toHaveLength(1)
    expect(found.stdout).toContain('Invoice \\u001b]8;;')
    expect(found.stdout).toContain('Boss \\u001b]8;;')
    expect(found.stdout).toContain('\\u000afaked second hit')
    // The import's report names the folder (the file's name, '/' being the one thing it cannot hold).
    for (const c of OBEYED) expect(imported.stdout, JSON.stringify(c)).not.toContain(c)
    expect(imported.stdout).toContain('into Folder \\u001b]8;;https:__evil.example_\\u0007click')
    // JSON has the text as stored; JSON.stringify escaped the controls.
    const [hit] = JSON.parse(
      (await runCli(['search', '--profile', profile, '--json', 'zanzibar'])).stdout,
    ) as { subject: string }[]
    expect(hit?.subject).toBe(`Invoice ${HOSTILE}\nfaked second hit`)
  })

  describe('a server answer quoted in an error', () => {
    let server: Server | undefined
    afterEach(() => server?.close())

    it('cairn account add: an IMAP server’s refusal text is escaped', async () => {
      // An IMAP server that refuses every sign-in with a hostile reason.
      server = createServer((socket) => {
        socket.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n')
        let buffered = ''
        socket.on('data', (data: Buffer) => {
          buffered += data.toString('latin1')
          let end: number
          while ((end = buffered.indexOf('\r\n')) >= 0) {
            const line = buffered.slice(0, end)
            buffered = buffered.slice(end + 2)
            const [tag, command] = line.split(' ')
            if (command?.toUpperCase() === 'CAPABILITY')
              socket.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`)
            else if (line === '*' || !tag) continue
            else
              socket.write(
                Buffer.concat([
                  Buffer.from(`${tag} NO [AUTHENTICATIONFAILED] `),
                  Buffer.from(HOSTILE.replace('\r', ''), 'utf8'),
                  Buffer.from('\r\n'),
                ]),
              )
          }
        })
        socket.on('error', () => {})
      })
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
      const port = (server.address() as { port: number }).port
      const added = await runCli(
        [
          'account',
          'add',
          '--profile',
          tempDir(),
          '--email',
          'me@example.com',
          '--password-stdin',
          '--imap',
          `imap+plain://127.0.0.1:${port}`,
          '--smtp',
          `smtp+plain://127.0.0.1:${port}`,
        ],
        { input: 'secret\n' },
      )
      expect(added.code).toBe(1)
      expect(added.stderr).toContain('refused the sign-in')
      for (const c of OBEYED) expect(added.stderr, JSON.stringify(c)).not.toContain(c)
      expect(added.stderr).toContain('\\u001b]8;;https://evil.example/\\u0007click')
      expect(added.stderr).toContain('\\u202efdp.exe')
    })
  })
})
