import { randomBytes, timingSafeEqual } from 'node:crypto'
import { lstatSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { writeFileAtomicSync } from '../shared/atomic-file.js'
import { CairnError, errnoCode } from '../shared/errors.js'
import { processAlive } from '../shared/process-alive.js'
import { profilePaths } from './layout.js'
import { PROFILE_DIR_MODE } from './permissions.js'

/**
 * How `cairn backup` and `cairn restore` reach the app that holds a
 * profile, instead of failing on its lock: the app listens on a local
 * socket (a Unix socket in a folder only its user may enter, or a named
 * pipe on Windows) and writes where and with which token into the
 * profile's cache folder (`cache/app-control.json`, 0600 in the 0700
 * profile: only the profile's owner can read it). Every connection must
 * start with that token (compared in constant time), so another local user
 * can neither connect nor drive it. The file is not backed up (the cache
 * never is) and goes away with the app.
 */
export const CONTROL_FILE = 'app-control.json'

const controlFileSchema = z
  .object({
    version: z.literal(1),
    pid: z.number().int().positive(),
    host: z.string(),
    socket: z.string().min(1).max(512),
    token: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  })
  .strict()

export type ControlFile = z.infer<typeof controlFileSchema>

export function controlFilePath(profileDir: string): string {
  return join(profilePaths(profileDir).cache, CONTROL_FILE)
}

export function newControlToken(): string {
  return randomBytes(32).toString('base64url')
}

export function tokensMatch(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * A socket address for this run: a named pipe on Windows; elsewhere a Unix
 * socket in $XDG_RUNTIME_DIR (the user's private runtime folder) or, without
 * one, in <tmp>/cairn-<uid>, made 0700 and checked to be the user's own
 * real folder (not a link another user planted).
 */
export function controlSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  const name = `cairn-${randomBytes(8).toString('hex')}`
  if (process.platform === 'win32') return `\\\\.\\pipe\\${name}`
  const runtime = env.XDG_RUNTIME_DIR
  const dir = runtime && privateDir(runtime) ? runtime : ownTempDir()
  return join(dir, `${name}.sock`)
}

function privateDir(dir: string): boolean {
  try {
    const stats = lstatSync(dir)
    return (
      stats.isDirectory() &&
      !stats.isSymbolicLink() &&
      stats.uid === process.getuid?.() &&
      (stats.mode & 0o077) === 0
    )
  } catch {
    return false
  }
}

function ownTempDir(): string {
  const dir = join(tmpdir(), `cairn-${process.getuid?.() ?? 'user'}`)
  try {
    mkdirSync(dir, { mode: 0o700 })
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw controlError(`cannot create ${dir}`, error)
  }
  if (!privateDir(dir))
    throw new CairnError(
      'APP_CONTROL',
      `${dir} is not a private folder of this user (another user made it, or it is open to others), ` +
        'so Cairn will not put its control socket there. Remove it, or set XDG_RUNTIME_DIR.',
    )
  return dir
}

/** Publish the socket and token for `cairn` commands (0600, in the profile's cache folder). */
export function writeControlFile(profileDir: string, socket: string, token: string): void {
  const cache = profilePaths(profileDir).cache
  mkdirSync(cache, { recursive: true, mode: PROFILE_DIR_MODE })
  const file: ControlFile = { version: 1, pid: process.pid, host: hostname(), socket, token }
  writeFileAtomicSync(controlFilePath(profileDir), `${JSON.stringify(file)}\n`)
}

/** Remove the control file if it is this process's. */
export function removeControlFile(profileDir: string): void {
  const file = readControlFile(profileDir)
  if (file && file.pid === process.pid && file.host === hostname())
    rmSync(controlFilePath(profileDir), { force: true })
}

/**
 * The running app's control file for this profile, or null when no app of
 * this machine is running on it (no file, someone else's, or its process
 * is gone).
 */
export function runningAppOf(profileDir: string): ControlFile | null {
  const file = readControlFile(profileDir)
  if (!file || file.host !== hostname() || !processAlive(file.pid)) return null
  return file
}

function readControlFile(profileDir: string): ControlFile | null {
  try {
    const parsed = controlFileSchema.safeParse(
      JSON.parse(readFileSync(controlFilePath(profileDir), 'utf8')),
    )
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

function controlError(what: string, error: unknown): CairnError {
  return new CairnError(
    'APP_CONTROL',
    `Cairn ${what} (${errnoCode(error) ?? String(error)}), so commands cannot reach the running app.`,
    { cause: error },
  )
}

/** The first line a client sends: the token, then what to do. */
export const controlRequestSchema = z.discriminatedUnion('command', [
  z
    .object({
      token: z.string(),
      command: z.literal('backup'),
      /** A full backup (a new chain) rather than an incremental link. */
      full: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      token: z.string(),
      command: z.literal('restore'),
      file: z.string().min(1).max(4096),
      /** The key as 64 hex digits (found or typed by the command line). */
      key: z.string().min(1).max(200),
      custody: z.enum(['keychain', 'user']),
      force: z.boolean(),
    })
    .strict(),
])

export type ControlRequest = z.infer<typeof controlRequestSchema>

/** The client's answer to a restore plan that needs a yes. */
export const controlAnswerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('confirm') }).strict(),
  z.object({ type: z.literal('cancel') }).strict(),
])

/** What the app sends back, one JSON object per line. */
export type ControlReply =
  | { type: 'progress'; phase: string; bytesDone: number; bytesTotal: number }
  | {
      type: 'plan'
      description: string
      confirmations: { kind: string; message: string }[]
    }
  | { type: 'done'; result: unknown; warnings: string[] }
  | { type: 'error'; code: string; message: string }

/** Longest line either side accepts. */
export const MAX_CONTROL_LINE = 64 * 1024
