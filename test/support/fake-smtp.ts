import { createServer, type Server, type Socket } from 'node:net'

export type SmtpAnswers = {
  rcpt?: (to: string) => string
  data?: string
  /** Awaited before the end of DATA is answered (a server slow to accept, held by the test). */
  hold?: () => Promise<void>
}

/** A minimal SMTP server on loopback whose RCPT and end-of-DATA answers the test chooses. */
export async function fakeSmtp(
  answers: SmtpAnswers,
): Promise<{ port: number; delivered: string[][]; server: Server }> {
  const delivered: string[][] = []
  const server = createServer((socket: Socket) => {
    let buffer = ''
    let inData = false
    let rcpts: string[] = []
    const say = (line: string) => socket.write(`${line}\r\n`)
    say('220 fake.test ESMTP')
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1')
      for (;;) {
        const nl = buffer.indexOf('\r\n')
        if (nl === -1) break
        const line = buffer.slice(0, nl)
        buffer = buffer.slice(nl + 2)
        if (inData) {
          if (line === '.') {
            inData = false
            const answer = answers.data ?? '250 2.0.0 queued'
            const accepted = rcpts
            void (answers.hold?.() ?? Promise.resolve()).then(() => {
              if (answer.startsWith('250')) delivered.push(accepted)
              say(answer)
            })
          }
          continue
        }
        const verb = line.slice(0, 4).toUpperCase()
        if (verb === 'EHLO') say('250-fake.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME')
        else if (verb === 'HELO') say('250 fake.test')
        else if (verb === 'AUTH') say('235 2.7.0 ok')
        else if (verb === 'MAIL') {
          rcpts = []
          say('250 2.1.0 ok')
        } else if (verb === 'RCPT') {
          const to = /<([^>]*)>/.exec(line)?.[1] ?? ''
          const answer = answers.rcpt?.(to) ?? '250 2.1.5 ok'
          if (answer.startsWith('250')) rcpts.push(to)
          say(answer)
        } else if (verb === 'DATA') {
          inData = true
          say('354 go ahead')
        } else if (verb === 'RSET') say('250 ok')
        else if (verb === 'QUIT') {
          say('221 bye')
          socket.end()
        } else say('502 5.5.2 what')
      }
    })
    socket.on('error', () => undefined)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const address = server.address()
  return { port: typeof address === 'object' && address ? address.port : 0, delivered, server }
}
