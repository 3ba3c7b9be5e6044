/**
 * `cairn`: headless commands over a profile, for terminals and scripts.
 * Exit codes: 0 success, 1 a failure the message explains, 2 a usage mistake.
 */
import { accountCommand } from './cli/account-command.js'
import { backupCommand } from './cli/backup-command.js'
import { decryptCommand } from './cli/decrypt-command.js'
import { importCommand } from './cli/import-command.js'
import { keyCommand } from './cli/key-command.js'
import { listCommand } from './cli/list-command.js'
import { restoreCommand } from './cli/restore-command.js'
import { scheduleCommand } from './cli/schedule-command.js'
import { searchCommand } from './cli/search-command.js'
import { sendCommand } from './cli/send-command.js'
import { syncCommand } from './cli/sync-command.js'
import { vaultCommand } from './cli/vault-command.js'
import { verifyCommand } from './cli/verify-command.js'
import { UsageError, type CliContext, type Command } from './cli/command.js'
import { CairnError, describeError } from './shared/errors.js'
import { APP_VERSION } from './shared/version.js'

const commands: Command[] = [
  importCommand,
  accountCommand,
  syncCommand,
  sendCommand,
  searchCommand,
  keyCommand,
  backupCommand,
  scheduleCommand,
  listCommand,
  verifyCommand,
  restoreCommand,
  decryptCommand,
  vaultCommand,
]

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

export async function main(argv: string[], context: CliContext): Promise<number> {
  const [name, ...args] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    context.stdout.write(`${usage()}\n`)
    return name ? 0 : 2
  }
  if (name === '--version') {
    context.stdout.write(`${APP_VERSION}\n`)
    return 0
  }
  const command = commands.find((c) => c.name === name)
  if (!command) {
    context.stderr.write(`cairn: unknown command "${name}"\n\n${usage()}\n`)
    return 2
  }
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
    if (error instanceof CairnError) {
      context.stderr.write(`cairn ${name}: ${error.message}\n`)
      return 1
    }
    context.stderr.write(`cairn ${name}: unexpected error: ${describeError(error)}\n`)
    if (context.env.CAIRN_DEBUG) context.stderr.write(`${(error as Error).stack ?? ''}\n`)
    return 1
  }
}

const exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
})
process.exitCode = exitCode
