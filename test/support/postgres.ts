import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

const PG_BIN = '/usr/lib/postgresql/15/bin'

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/**
 * A PostgreSQL database of its own for a test file. With CAIRN_TEST_PG_URL
 * (the server .ci/run starts, as an unprivileged user on a loopback port) a
 * fresh database is created on it; otherwise a private cluster is started
 * in a temporary folder (Debian's postgresql, as the postgres user).
 */
export async function usePostgres(): Promise<{ url: string; stop: () => Promise<void> }> {
  const name = `cairn_test_${process.pid}_${Math.floor(Math.random() * 1e9)}`
  if (process.env.CAIRN_TEST_PG_URL) {
    const admin = new pg.Client({ connectionString: process.env.CAIRN_TEST_PG_URL })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${name}`)
    await admin.end()
    const url = new URL(process.env.CAIRN_TEST_PG_URL)
    url.pathname = `/${name}`
    return {
      url: url.toString(),
      stop: async () => {
        const drop = new pg.Client({ connectionString: process.env.CAIRN_TEST_PG_URL })
        await drop.connect()
        await drop.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
        await drop.end()
      },
    }
  }
  if (!existsSync(join(PG_BIN, 'initdb')))
    throw new Error(
      `The multi-node vault tests need PostgreSQL 15 (Debian: postgresql) in ${PG_BIN}`,
    )
  const dir = mkdtempSync(join(tmpdir(), 'cairn-pg-'))
  chmodSync(dir, 0o755)
  const runAs = (args: string[]) => {
    const asRoot = process.getuid?.() === 0
    const result = spawnSync(
      asRoot ? 'runuser' : (args[0] as string),
      asRoot ? ['-u', 'postgres', '--', ...args] : args.slice(1),
      { stdio: 'pipe' },
    )
    if (result.status !== 0)
      throw new Error(`${args.join(' ')} failed: ${result.stderr.toString()}`)
  }
  if (process.getuid?.() === 0)
    chownSync(
      dir,
      Number(execFileSync('id', ['-u', 'postgres']).toString()),
      Number(execFileSync('id', ['-g', 'postgres']).toString()),
    )
  const port = await freePort()
  runAs([join(PG_BIN, 'initdb'), '-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres'])
  runAs([
    join(PG_BIN, 'pg_ctl'),
    '-D',
    join(dir, 'data'),
    '-l',
    join(dir, 'log'),
    '-o',
    `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=on`,
    '-w',
    'start',
  ])
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      runAs([join(PG_BIN, 'pg_ctl'), '-D', join(dir, 'data'), '-m', 'immediate', 'stop'])
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
