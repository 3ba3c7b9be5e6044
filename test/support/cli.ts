import { spawn } from 'node:child_process'
import { join } from 'node:path'

export const CLI = join(import.meta.dirname, '..', '..', 'out', 'main', 'cli.js')
/** The CLI of the test build (out-test/): the same code plus fault injection (CAIRN_TEST_KILL_AT_STEP). */
export const TEST_BUILD_CLI = join(import.meta.dirname, '..', '..', 'out-test', 'main', 'cli.js')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  /** stdout as bytes, for commands that write binary data. */
  stdoutBytes: Buffer
  stderr: string
}

/** Run the built `cairn` CLI as a child process, as a user would. */
export function runCli(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv
    input?: string | Buffer
    cwd?: string
    /** 'test': the test build, whose steps CAIRN_TEST_KILL_AT_STEP can kill. */
    build?: 'default' | 'test'
    /**
     * Without the capabilities that let root ignore file permissions
     * (setpriv, util-linux): a test run as root then meets a file it may
     * not read as any user would.
     */
    obeyFilePermissions?: boolean
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const cli = options.build === 'test' ? TEST_BUILD_CLI : CLI
    const command = options.obeyFilePermissions
      ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', process.execPath]
      : [process.execPath]
    const child = spawn(command[0] as string, [...command.slice(1), cli, ...args], {
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => stdout.push(d))
    child.stderr.on('data', (d: Buffer) => stderr.push(d))
    child.on('error', reject)
    child.on('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString(),
        stdoutBytes: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr).toString(),
      }),
    )
    child.stdin.end(options.input ?? '')
  })
}
