import Database from 'better-sqlite3'
import { spawn, type ChildProcess } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './postgres'

export const VAULT_SERVER = join(import.meta.dirname, '..', '..', 'out', 'main', 'vault-server.js')

export interface VaultNode {
  url: string
  process: ChildProcess
  /** Everything the node logged (stdout and stderr). */
  logs(): string
  stop(): Promise<void>
  kill(): Promise<void>
}

/** Start a vault server process (the built `npm run vault` entry) and wait until it listens. */
export async function startVaultNode(env: Record<string, string>): Promise<VaultNode> {
  const port = await freePort()
  const child = spawn(process.execPath, [VAULT_SERVER], {
    env: {
      ...process.env,
      CAIRN_VAULT_LISTEN: `127.0.0.1:${port}`,
      CAIRN_VAULT_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`vault node did not start:\n${output}`)),
      20_000,
    )
    const check = () => {
      const match = /"address":"(https?:\/\/[^"]+)"[^\n]*"msg":"vault listening"/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1] as string)
      }
    }
    child.stdout?.on('data', check)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`vault node exited (${code}):\n${output}`))
    })
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    url,
    process: child,
    logs: () => output,
    stop: async () => {
      child.kill('SIGTERM')
      await exited
    },
    kill: async () => {
      child.kill('SIGKILL')
      await exited
    },
  }
}

/** A self-signed certificate for 127.0.0.1 (openssl), for the TLS tests. */
export function selfSignedCertificate(): { cert: string; key: string; certPem: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-tls-'))
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=cairn-test-vault',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'pipe' },
  )
  return { cert, key, certPem: readFileSync(cert) }
}

/**
 * A development node's settings (SQLite and a software sealing key in
 * `dir`) with rate limits and guess spacing out of the way; `extra` sets
 * what a test is about.
 */
export function devNodeEnv(
  dir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    CAIRN_VAULT_DATABASE: `sqlite:${join(dir, 'vault.sqlite')}`,
    CAIRN_VAULT_DEV_KEY_FILE: join(dir, 'dev.key'),
    CAIRN_VAULT_RATE_PER_IP: '100000',
    CAIRN_VAULT_RATE_PER_RECORD: '100000',
    CAIRN_VAULT_GUESS_DELAY: '0',
    ...extra,
  }
}

/** A record's guess count in a node's SQLite database (null: no such record). */
export function sqliteGuesses(file: string, id: string): number | null {
  const db = new Database(file, { readonly: true })
  try {
    const row = db.prepare('SELECT guesses FROM vault_records WHERE id = ?').get(id) as
      { guesses: number } | undefined
    return row?.guesses ?? null
  } finally {
    db.close()
  }
}
