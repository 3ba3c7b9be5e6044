import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'

/**
 * Ask for a secret on the terminal without echoing it. Only on a terminal:
 * scripts pass secrets with a file or --password-stdin instead.
 */
export function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!process.stdin.isTTY) {
      reject(new Error('no terminal to ask on'))
      return
    }
    let muted = false
    const output = new Writable({
      write(chunk, _encoding, done) {
        if (!muted) process.stderr.write(chunk as Buffer)
        done()
      },
    })
    const rl = createInterface({ input: process.stdin, output, terminal: true })
    process.stderr.write(question)
    muted = true
    rl.question('', (answer) => {
      rl.close()
      process.stderr.write('\n')
      resolve(answer)
    })
  })
}

export async function promptLine(question: string): Promise<string> {
  const rl = createInterface({
    input: process.stdin,
    output: process.stderr,
    terminal: Boolean(process.stdin.isTTY),
  })
  try {
    return await new Promise((resolve) => rl.question(question, resolve))
  } finally {
    rl.close()
  }
}

/** All of standard input as text (for --password-stdin and piped keys). */
export async function readStdin(): Promise<string> {
  const parts: Buffer[] = []
  for await (const part of process.stdin) parts.push(part as Buffer)
  return Buffer.concat(parts).toString('utf8')
}
