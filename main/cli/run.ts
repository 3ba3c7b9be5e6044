import { CairnError, describeError } from '../shared/errors.js'
import { APP_VERSION } from '../shared/version.js'
import { UsageError, type CliContext } from './command.js'
import { commands } from './commands.js'
import { terminalText } from './terminal-text.js'

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  return [
    `cairn ${APP_VERSION}: Cairn's command line`,
    '',
    'Usage: cairn <command> [options]   (cairn <command> --help for details)',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n')
}

/**
 * Run one `cairn` invocation; returns the exit code: 0 success, 1 a failure
 * the message explains, 2 a usage mistake. The same for the `cairn` bin
 * under Node and for the app binary in CLI mode (app-mode.ts).
 */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  const [name, ...args] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    context.stdout.write(`${usage()}\n`)
    return name ? 0 : 2
  }
  if (name === '--version') {
    context.stdout.write(`${APP_VERSION}\n`)
    return 0
  }
  const entry = commands.find((c) => c.name === name)
  if (!entry) {
    context.stderr.write(`cairn: unknown command "${name}"\n\n${usage()}\n`)
    return 2
  }
  const command = await entry.load()
  if (args.includes('--help') || args.includes('-h')) {
    context.stdout.write(`${command.usage}\n`)
    return 0
  }
  try {
    return await command.run(args, context)
  } catch (error) {
    if (error instanceof UsageError) {
      context.stderr.write(`cairn ${name}: ${error.message}\n\n${command.usage}\n`)
      return 2
    }
    // A failure's message may quote a server (an IMAP refusal, an SMTP answer): shown, not obeyed.
    if (error instanceof CairnError) {
      context.stderr.write(`cairn ${name}: ${terminalText(error.message)}\n`)
      return 1
    }
    context.stderr.write(`cairn ${name}: unexpected error: ${terminalText(describeError(error))}\n`)
    if (context.env.CAIRN_DEBUG) context.stderr.write(`${(error as Error).stack ?? ''}\n`)
    return 1
  }
}
