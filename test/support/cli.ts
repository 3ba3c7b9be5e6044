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
    /** Run as this user and group (tests of what a non-root user meets). */
    uid?: number
    gid?: number
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const cli = options.build === 'test' ? TEST_BUILD_CLI : CLI
    const child = spawn(process.execPath, [cli, ...args], {
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
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
