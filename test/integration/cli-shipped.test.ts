import { spawn } from 'node:child_process'
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { tempDir } from '../support/temp'

const root = join(import.meta.dirname, '..', '..')
const appMain = join(root, 'out', 'main', 'index.js')
const standIn = join(root, 'test', 'support', 'electron-stand-in', 'register.mjs')

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** The built Electron main entry, under Node, with a stand-in 'electron' that fails on any window code. */
function appBinary(args: string[], env?: NodeJS.ProcessEnv): Promise<Run> {
  return run(process.execPath, ['--import', standIn, appMain, ...args], env)
}

/**
 * A stand-in for the installed app binary at `path`: runs the built main
 * entry as Electron would, with the arguments it was given.
 */
function installStandInBinary(path: string): void {
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(
    path,
    `#!/bin/sh\nexec "${process.execPath}" --import "${standIn}" "${appMain}" "$@"\n`,
  )
  chmodSync(path, 0o755)
}

function installLauncher(resources: string): string {
  const launcher = join(resources, 'bin', 'cairn')
  mkdirSync(join(resources, 'bin'), { recursive: true })
  copyFileSync(join(root, 'resources', 'bin', 'cairn'), launcher)
  chmodSync(launcher, 0o755)
  return launcher
}

function mboxWith(subjects: string[]): string {
  const dir = join(tempDir(), 'mail exports')
  mkdirSync(dir)
  const file = join(dir, 'Old Inbox.mbox')
  writeFileSync(file, buildMbox(subjects.map((subject) => buildMessage({ subject }))))
  return file
}

describe('the app binary in CLI mode (`Cairn --cli -- …`)', () => {
  it('runs the command line from the main entry, before and instead of any window code', async () => {
    const help = await appBinary(['--cli', '--', '--help'])
    expect(help.stderr).toBe('')
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^cairn \d+\.\d+\.\d+: Cairn's command line\n/)
    expect(help.stdout).toMatch(/^ {2}import +Import mail from mbox files/m)

    const unknown = await appBinary(['--cli', '--', 'frobnicate'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/^cairn: unknown command "frobnicate"/)

    const failing = await appBinary(['--cli', '--', 'list', '--to', join(tempDir(), 'missing')])
    expect(failing.code).toBe(1)
    expect(failing.stderr).toMatch(/^cairn list: The backup folder .* does not exist\./)
  })

  it('imports mail, with real worker threads, as the Node CLI does', async () => {
    const profile = tempDir()
    const mbox = mboxWith(['First', 'Second', 'Third'])
    const result = await appBinary(['--cli', '--', 'import', '--profile', profile, '--json', mbox])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ imported: 3, folders: ['Old Inbox'] })
  })

  it('is caught by the stand-in when it opens the app instead (the check can fail)', async () => {
    const normal = await appBinary(['--profile', tempDir()])
    expect(normal.code).not.toBe(0)
    expect(normal.stderr).toContain('window code ran in CLI mode: app.requestSingleInstanceLock')
  })
})

describe('the installed `cairn` launcher', () => {
  it('finds the Linux app binary through a symlink on PATH and passes every argument as it is', async () => {
    const install = join(tempDir(), 'opt', 'Cairn')
    installStandInBinary(join(install, 'cairn-app'))
    const launcher = installLauncher(join(install, 'resources'))
    const bin = join(tempDir(), 'bin')
    mkdirSync(bin)
    symlinkSync(launcher, join(bin, 'cairn'))

    const version = await run(join(bin, 'cairn'), ['--version'])
    expect(version).toMatchObject({ code: 0, stderr: '' })
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/)

    const profile = join(tempDir(), 'my profile')
    const mbox = mboxWith(['One', 'Two'])
    const imported = await run('cairn', ['import', '--profile', profile, '--json', mbox], {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
    })
    expect(imported.stderr).toBe('')
    expect(imported.code).toBe(0)
    expect(JSON.parse(imported.stdout)).toMatchObject({ imported: 2 })

    const usage = await run(join(bin, 'cairn'), ['import'])
    expect(usage.code).toBe(2)
  })

  it('finds the macOS app binary inside the bundle', async () => {
    const contents = join(tempDir(), 'Cairn.app', 'Contents')
    installStandInBinary(join(contents, 'MacOS', 'Cairn'))
    const launcher = installLauncher(join(contents, 'Resources'))
    const help = await run(launcher, ['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("Cairn's command line")
  })

  it('is shipped by electron-builder on every OS, with /usr/bin/cairn in the .deb', () => {
    const config = readFileSync(join(root, 'electron-builder.yml'), 'utf8')
    expect(config).toMatch(/executableName: cairn-app\n/)
    expect(config).toContain('- resources/linux/cairn=/usr/bin/cairn')
    expect(config.match(/- from: resources\/bin\/cairn\n\s+to: bin\/cairn\n/g)).toHaveLength(2)
    expect(config).toMatch(/- from: resources\/bin\/cairn\.cmd\n\s+to: bin\/cairn\.cmd\n/)
    expect(readFileSync(join(root, 'resources', 'linux', 'cairn'), 'utf8')).toContain(
      'exec /opt/Cairn/resources/bin/cairn "$@"',
    )
    const cmd = readFileSync(join(root, 'resources', 'bin', 'cairn.cmd'), 'utf8')
    expect(cmd).toContain('"%~dp0..\\..\\Cairn.exe" --cli -- %*\r\n')
    expect(cmd).toContain('exit /b %ERRORLEVEL%')
  })
})

describe('the repository’s `cairn` (bin/cairn.js, for npx and npm link)', () => {
  it('starts `cairn --help` without loading any command or native module', async () => {
    const trace = join(tempDir(), 'imports.txt')
    writeFileSync(trace, '')
    const result = await run(
      process.execPath,
      [
        '--import',
        join(root, 'test', 'support', 'trace-imports.mjs'),
        join(root, 'bin', 'cairn.js'),
        '--help',
      ],
      { CAIRN_TRACE_IMPORTS: trace },
    )
    expect(result.code).toBe(0)
    const loaded = readFileSync(trace, 'utf8').split('\n').filter(Boolean)
    expect(loaded.some((url) => url.endsWith('/out/main/cli.js'))).toBe(true)
    expect(loaded.filter((url) => !url.startsWith('node:') && !url.includes('/out/main/'))).toEqual(
      [expect.stringMatching(/\/bin\/cairn\.js$/)],
    )
    // The dispatcher and what it needs; no command module (esbuild marks each module it bundles).
    const code = [...new Set(loaded.filter((url) => url.includes('/out/main/')))]
      .map((url) => readFileSync(new URL(url), 'utf8'))
      .join('\n')
    expect(code).toContain('// main/cli/run.ts')
    expect(code).not.toMatch(/\/\/ main\/cli\/[a-z-]+-command\.ts/)
    expect(code).not.toContain('// main/mail/')
    expect(code).not.toContain('// main/backup/')
  })

  it('never builds: without a build it says what to run', async () => {
    const checkout = tempDir()
    mkdirSync(join(checkout, 'bin'))
    copyFileSync(join(root, 'bin', 'cairn.js'), join(checkout, 'bin', 'cairn.js'))
    writeFileSync(join(checkout, 'package.json'), '{"type":"module"}')
    const result = await run(process.execPath, [join(checkout, 'bin', 'cairn.js'), '--help'])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      `cairn: the command line is not built yet. Run "npm run build" in ${checkout}/ first.\n`,
    )
  })
})
