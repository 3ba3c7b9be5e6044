/**
 * The app binary as the command line: the `cairn` launcher that installers
 * put on PATH runs `Cairn [chromium switches] --cli -- <command> …`, since
 * the app ships without Electron's run-as-Node mode. main/app/main.ts asks
 * cliArgsOf() before anything else and, in CLI mode, runs runCliInApp()
 * instead of opening a window.
 */
import type { CliContext } from './command.js'

/**
 * The command line's arguments when the app was started in CLI mode, else
 * null. `--cli` must come before any `--` and be followed by `--` (so that
 * Chromium, which parses switches anywhere on the command line, stops
 * there and never reads the command's own arguments as its switches) or by
 * nothing else at all.
 */
export function cliArgsOf(argv: readonly string[]): string[] | null {
  const end = argv.indexOf('--')
  const at = argv.indexOf('--cli')
  if (at < 0 || (end >= 0 && at > end)) return null
  const rest = argv.slice(at + 1)
  return rest[0] === '--' ? rest.slice(1) : rest
}

/** Waits until everything written so far has left the process (pipes are asynchronous on macOS and Windows). */
function flushed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()))
}

/**
 * Run one command, then exit the app with its code, once its output is out:
 * app.exit() ends the process at once.
 */
export async function runCliInApp(
  args: readonly string[],
  exit: (code: number) => void,
  context: CliContext = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<void> {
  let code: number
  try {
    const { runCli } = await import('./run.js')
    code = await runCli(args, context)
  } catch (error) {
    context.stderr.write(`cairn: ${(error as Error).message}\n`)
    code = 1
  }
  await flushed(context.stdout)
  await flushed(context.stderr)
  exit(code)
}
