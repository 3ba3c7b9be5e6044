import Database from 'better-sqlite3'
import { randomUUID } from 'node:crypto'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { XmlElement } from '../../main/chat/xmpp/xml'

export const PROSODY = '/usr/bin/prosody'
export const DOMAIN = 'localhost'
export const MUC_DOMAIN = 'conference.localhost'
export const UPLOAD_DOMAIN = 'upload.localhost'

export interface TestCa {
  /** PEM of the throwaway CA that signed the server certificate. */
  caFile: string
  certFile: string
  keyFile: string
}

/**
 * A throwaway CA and a server certificate for localhost (and the MUC and
 * upload components) signed by it. `untrusted` makes a second, unrelated
 * self-signed certificate for the "never accept silently" tests.
 */
export function makeTestCa(dir: string, names: string[] = [DOMAIN, MUC_DOMAIN, UPLOAD_DOMAIN]) {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  run([
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Cairn test CA',
    '-keyout', 'ca.key', '-out', 'ca.pem',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]) // prettier-ignore
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${names[0]}`, '-keyout', 'server.key', '-out', 'server.csr']) // prettier-ignore
  writeFileSync(
    join(dir, 'server.ext'),
    `subjectAltName = ${[...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',')}\n` +
      'extendedKeyUsage = serverAuth\n',
  )
  run([
    'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '2', '-out', 'server.pem', '-extfile', 'server.ext',
  ]) // prettier-ignore
  return {
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
  } satisfies TestCa
}

export interface ProsodyServer {
  readonly dir: string
  readonly port: number
  /** XEP-0368 direct TLS (xmpps) port. */
  readonly directTlsPort: number
  readonly httpsPort: number
  readonly ca: TestCa
  readonly domain: string
  /** `host:port` for Cairn's --server option. */
  readonly server: string
  register(user: string, password: string): void
  /**
   * Put messages straight into a user's server archive (Prosody's own
   * SQLite table), as if they had been exchanged earlier: building a
   * 50,000-message history through the server takes minutes, fetching it
   * back through MAM is what the tests measure.
   */
  seedArchive(user: string, messages: ArchivedMessage[]): void
  /** SIGKILL, as a crash would: no goodbye to clients, no chance to flush. */
  kill(): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
  log(): string
}

export interface ArchivedMessage {
  /** The conversation partner's bare JID. */
  with: string
  from: string
  to: string
  id: string
  body: string
  /** Seconds since 1970. */
  when: number
}

export interface ProsodyOptions {
  /** Extra lines for the global section (before the VirtualHost). */
  extra?: string
}

/**
 * A private Prosody (Debian's 0.12) on loopback ports with a throwaway test
 * CA: TLS required on c2s, SCRAM logins, and the modules chat needs: roster,
 * carbons, mam, smacks (stream management), muc (with muc_mam) and
 * http_file_share (HTTP upload, XEP-0363) over HTTPS. Archives live in
 * SQLite (Prosody's file store reads a whole archive per query, far too
 * slow for 50,000 messages). A missing Prosody fails the test.
 */
export async function startProsody(options: ProsodyOptions = {}): Promise<ProsodyServer> {
  if (!existsSync(PROSODY))
    throw new Error(`The chat tests need Prosody (Debian: prosody) at ${PROSODY}`)
  // In memory (/dev/shm) when there is one: Prosody's SQLite syncs every
  // archived message to disk, which would make a 50,000-message test a disk benchmark.
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir()
  const dir = mkdtempSync(join(base, 'cairn-prosody-'))
  mkdirSync(join(dir, 'data'))
  const ca = makeTestCa(dir)
  const port = await freePort()
  const httpsPort = await freePort()
  const directTlsPort = await freePort()
  const config = join(dir, 'prosody.cfg.lua')
  writeFileSync(
    config,
    `
run_as_root = true
daemonize = false
pidfile = "${dir}/prosody.pid"
data_path = "${dir}/data"
log = { { levels = { min = "info" }, to = "file", filename = "${dir}/prosody.log" } }
interfaces = { "127.0.0.1" }
c2s_ports = { ${port} }
c2s_direct_tls_ports = { ${directTlsPort} }
s2s_ports = { }
http_ports = { }
https_ports = { ${httpsPort} }
https_interfaces = { "127.0.0.1" }
https_ssl = { key = "${ca.keyFile}", certificate = "${ca.certFile}" }
http_external_url = "https://localhost:${httpsPort}/"
modules_enabled = { "roster", "saslauth", "tls", "disco", "carbons", "mam", "smacks", "ping", "time", "version", "offline" }
modules_disabled = { "s2s" }
authentication = "internal_hashed"
storage = "sql"
sql = { driver = "SQLite3", database = "prosody.sqlite" }
archive_expires_after = "never"
storage_archive_item_limit = 10000000
max_archive_query_results = 250
c2s_require_encryption = true
ssl = { key = "${ca.keyFile}", certificate = "${ca.certFile}" }
c2s_stanza_size_limit = 16777216
smacks_hibernation_time = 120
${options.extra ?? ''}

VirtualHost "${DOMAIN}"

Component "${MUC_DOMAIN}" "muc"
  modules_enabled = { "muc_mam" }
  muc_log_by_default = true
  muc_log_all_rooms = true
  max_history_messages = 100

Component "${UPLOAD_DOMAIN}" "http_file_share"
  http_file_share_size_limit = 16777216
  -- Served under the name in http_external_url (no DNS for upload.localhost here).
  http_host = "localhost"
  http_file_share_daily_quota = 1073741824
`,
  )
  let child: ChildProcess | null = null
  const ctl = (args: string[]) =>
    execFileSync('prosodyctl', ['--config', config, ...args], { stdio: 'pipe' })

  async function start() {
    const proc = spawn(PROSODY, ['--config', config], { stdio: 'ignore' })
    child = proc
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) =>
        reject(new Error(`Prosody exited (${code}) at start:\n${log()}`)),
      ),
    )
    exited.catch(() => undefined)
    for (let i = 0; i < 200; i++) {
      if ((await portOpen(port)) && (await portOpen(httpsPort)) && (await portOpen(directTlsPort)))
        return
      if (proc.exitCode !== null) await exited
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`Prosody did not open port ${port}:\n${log()}`)
  }

  async function stopWith(signal: NodeJS.Signals) {
    const proc = child
    child = null
    if (!proc || proc.exitCode !== null) return
    const exited = new Promise((resolve) => proc.once('exit', resolve))
    proc.kill(signal)
    await exited
  }

  function log() {
    try {
      return readFileSync(join(dir, 'prosody.log'), 'utf8').slice(-4000)
    } catch {
      return '(no log)'
    }
  }

  await start()
  return {
    dir,
    port,
    directTlsPort,
    httpsPort,
    ca,
    domain: DOMAIN,
    server: `127.0.0.1:${port}`,
    register: (user, password) => void ctl(['register', user, DOMAIN, password]),
    seedArchive(user, messages) {
      const db = new Database(join(dir, 'data', 'prosody.sqlite'))
      db.pragma('busy_timeout = 10000')
      const insert = db.prepare(
        `INSERT INTO prosodyarchive (host, user, store, key, "when", "with", type, value)
         VALUES (?, ?, 'archive', ?, ?, ?, 'xml', ?)`,
      )
      db.transaction(() => {
        for (const m of messages) {
          const xml = new XmlElement('message', { from: m.from, to: m.to, type: 'chat', id: m.id })
          xml.append(new XmlElement('body').append(m.body))
          insert.run(DOMAIN, user, randomUUID(), m.when, m.with, xml.toString())
        }
      })()
      db.close()
    },
    kill: () => stopWith('SIGKILL'),
    start,
    async stop() {
      await stopWith('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    },
    log,
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** A TCP port nobody listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}
