import { parseArgs, type ParseArgsConfig } from 'node:util'

export interface CliContext {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
  env: NodeJS.ProcessEnv
}

export interface Command {
  name: string
  summary: string
  usage: string
  /** Returns the process exit code. Throw CairnError for failures the user can act on. */
  run(args: string[], context: CliContext): Promise<number>
}

/** A usage mistake: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

export function writeJson(context: CliContext, value: unknown): void {
  context.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/** Run the subcommand named first in `args` (`cairn key create …`), or explain which exist. */
export function runSubcommand(
  args: string[],
  context: CliContext,
  table: Record<string, (args: string[], context: CliContext) => Promise<number>>,
): Promise<number> {
  const [name, ...rest] = args
  const names = Object.keys(table)
  const run = name !== undefined && Object.hasOwn(table, name) ? table[name] : undefined
  if (!run) {
    const list = `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`
    throw new UsageError(name ? `unknown subcommand "${name}"` : `name a subcommand: ${list}`)
  }
  return run(rest, context)
}
