import { execFileSync, spawn } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './postgres'
import { isZombieOrGone, sessionCpuMs, sessionMembers } from './process-tree'
import type { TestCertificate } from './test-ca'

export interface DovecotUser {
  name: string
  password: string
}

export interface DovecotOptions {
  users?: DovecotUser[]
  /** TLS certificate for IMAPS/STARTTLS (and LMTP); without it Dovecot speaks plaintext only. */
  certificate?: TestCertificate
  /** Validate XOAUTH2/OAUTHBEARER tokens by RFC 7662 introspection at this URL (client credentials in it). */
  oauth2?: { introspectionUrl: string; caFile?: string }
  /** Replace the advertised IMAP capabilities (to play an older server, e.g. without CONDSTORE/QRESYNC). */
  imapCapability?: string
  /** More mailboxes the server makes and flags, besides Sent, Drafts, Trash, Junk and Archive. */
  mailboxes?: { name: string; specialUse: string }[]
  /** The hierarchy delimiter IMAP clients see (default "/"; the Maildir on disk is the same either way). */
  separator?: '/' | '.'
}

export interface Dovecot {
  host: '127.0.0.1'
  /** IMAP with STARTTLS (or plaintext without a certificate). */
  imapPort: number
  /** IMAP over TLS from the first byte (0 without a certificate). */
  imapsPort: number
  lmtpPort: number
  /** Dovecot's SASL authentication service, for Postfix submission. */
  authPort: number
  dir: string
  /** The Maildir of a user (Dovecot's files, owned by nobody). */
  maildir(user: string): string
  log(): string
  /** CPU milliseconds Dovecot's processes have used so far (benchmarks). */
  cpuMs(): number
  /** Kill every Dovecot process at once (a crash, not a shutdown). */
  kill(): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
  /** Replace the TLS certificate (takes effect at the next start). */
  setCertificate(certificate: TestCertificate): void
  /** Change the hierarchy delimiter (takes effect at the next start), as a server migration may. */
  setSeparator(separator: '/' | '.'): void
}

const MAIL_UID = 'nobody'
const MAIL_GID = 'nogroup'

/**
 * A private Dovecot (Debian's dovecot-imapd and dovecot-lmtpd) on loopback
 * ports with its own config, users and Maildirs in a temporary folder:
 * IMAP with STARTTLS and IMAPS (CONDSTORE, QRESYNC, IDLE, MOVE, UIDPLUS,
 * SPECIAL-USE are built in), LMTP for delivery, and an auth listener for
 * Postfix. Missing packages fail the test.
 */
export async function startDovecot(options: DovecotOptions = {}): Promise<Dovecot> {
  if (!existsSync('/usr/sbin/dovecot'))
    throw new Error('The sync tests need Dovecot (Debian: dovecot-imapd dovecot-lmtpd)')
  const users = options.users ?? [{ name: 'alice', password: 'alice-password' }]
  const dir = mkdtempSync(join(tmpdir(), 'cairn-dovecot-'))
  chmodSync(dir, 0o755)
  const [imapPort, imapsPort, lmtpPort, authPort] = [
    await freePort(),
    options.certificate ? await freePort() : 0,
    await freePort(),
    await freePort(),
  ]
  mkdirSync(join(dir, 'mail'), { recursive: true })
  mkdirSync(join(dir, 'run'), { recursive: true })
  writeFileSync(
    join(dir, 'users'),
    users.map((u) => `${u.name}:{PLAIN}${u.password}::::::\n`).join(''),
  )
  chmodSync(join(dir, 'users'), 0o644)
  let certificate = options.certificate
  let separator = options.separator ?? '/'
  const asRoot = process.getuid?.() === 0
  if (asRoot) chownSync(join(dir, 'mail'), uidOf(MAIL_UID), gidOf(MAIL_GID))

  const writeConfig = () => {
    const oauth = options.oauth2
    if (oauth) {
      writeFileSync(
        join(dir, 'oauth2.conf.ext'),
        [
          'introspection_mode = post',
          `introspection_url = ${oauth.introspectionUrl}`,
          'force_introspection = yes',
          'username_attribute = sub',
          'active_attribute = active',
          'active_value = true',
          oauth.caFile ? `tls_ca_cert_file = ${oauth.caFile}` : '',
          '',
        ].join('\n'),
      )
    }
    const conf = `
protocols = imap lmtp
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
instance_name = cairn-${imapPort}
${asRoot ? 'default_internal_user = dovecot\ndefault_login_user = dovenull' : ''}
mail_uid = ${MAIL_UID}
mail_gid = ${MAIL_GID}
first_valid_uid = 0
mail_location = maildir:${dir}/mail/%u/Maildir
mail_fsync = never
auth_username_format = %Ln
disable_plaintext_auth = no
auth_mechanisms = plain login${oauth ? ' xoauth2 oauthbearer' : ''}
mail_max_userip_connections = 100
imap_idle_notify_interval = 2 secs
${options.imapCapability ? `imap_capability = ${options.imapCapability}` : ''}
${
  certificate
    ? `ssl = yes\nssl_cert = <${certificate.certFile}\nssl_key = <${certificate.keyFile}\nssl_min_protocol = TLSv1.2`
    : 'ssl = no'
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/users
}
${
  oauth
    ? `passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = ${dir}/oauth2.conf.ext\n}`
    : ''
}
userdb {
  driver = static
  args = uid=${MAIL_UID} gid=${MAIL_GID} home=${dir}/mail/%u
}
namespace inbox {
  inbox = yes
  separator = ${separator}
${(options.mailboxes ?? [])
  .map(
    (m) =>
      `  mailbox "${m.name}" {\n    special_use = ${m.specialUse}\n    auto = subscribe\n  }\n`,
  )
  .join('')}  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
}
protocol imap {
  mail_max_userip_connections = 100
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${imapPort}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${imapsPort}
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${lmtpPort}
  }
}
service auth {
  inet_listener {
    address = 127.0.0.1
    port = ${authPort}
  }
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
`
    writeFileSync(join(dir, 'dovecot.conf'), conf)
  }

  const pidFile = join(dir, 'run', 'master.pid')
  const start = async () => {
    writeConfig()
    const child = spawn('/usr/sbin/dovecot', ['-c', join(dir, 'dovecot.conf')], {
      stdio: 'ignore',
    })
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    if (code !== 0) throw new Error(`dovecot did not start (${code}):\n${readLog()}`)
    await waitForPort(imapPort)
  }
  const readLog = () => {
    try {
      return readFileSync(join(dir, 'dovecot.log'), 'utf8')
    } catch {
      return ''
    }
  }
  const masterPid = () => {
    try {
      return Number(readFileSync(pidFile, 'utf8').trim())
    } catch {
      return 0
    }
  }
  const waitGone = async (pid: number) => {
    // A killed daemon whose parent never reaps it lingers as a zombie: gone all the same.
    for (let i = 0; i < 100 && !isZombieOrGone(pid); i++)
      await new Promise((r) => setTimeout(r, 50))
  }
  const signalAll = async (signal: NodeJS.Signals) => {
    const pid = masterPid()
    if (!pid) return
    const signalOne = (p: number) => {
      try {
        process.kill(p, signal)
      } catch {
        // already gone
      }
    }
    // The master first: once it is gone nothing new is forked.
    signalOne(pid)
    await waitGone(pid)
    if (signal === 'SIGKILL') {
      // A killed master leaves its children running; a crash takes them all.
      for (let round = 0; round < 20; round++) {
        // The master started its own session (setsid) and its children stay in it: asked by
        // session, a child forked just before the master died, or reparented to init, is found.
        const left = sessionMembers(pid).filter((p) => !isZombieOrGone(p))
        if (left.length === 0) break
        for (const p of left) signalOne(p)
        for (const p of left) await waitGone(p)
      }
    } else {
      // A stopped master stops its children; wait for them to finish.
      for (const p of sessionMembers(pid)) await waitGone(p)
    }
    rmSync(pidFile, { force: true })
  }
  await start()
  return {
    host: '127.0.0.1',
    imapPort,
    imapsPort,
    lmtpPort,
    authPort,
    dir,
    maildir: (user) => join(dir, 'mail', user, 'Maildir'),
    log: readLog,
    start,
    stop: () => signalAll('SIGTERM'),
    cpuMs: () => (masterPid() ? sessionCpuMs(masterPid()) : 0),
    kill: () => signalAll('SIGKILL'),
    setCertificate(next) {
      certificate = next
    },
    setSeparator(next) {
      separator = next
    },
  }
}

function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user]).toString())
}
function gidOf(group: string): number {
  return Number(execFileSync('getent', ['group', group]).toString().split(':')[2])
}

export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Make the user's Maildir (and folders) exist, owned by the mail user. */
export function ensureMaildir(dovecot: Dovecot, user: string, folder = ''): string {
  const base = dovecot.maildir(user)
  const path = folder ? join(base, `.${folder.replace(/\//g, '.')}`) : base
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(path, sub), { recursive: true })
  if (process.getuid?.() === 0)
    execFileSync('chown', ['-R', `${MAIL_UID}:${MAIL_GID}`, join(dovecot.dir, 'mail')])
  return path
}

/**
 * Write messages straight into a Maildir folder (APPEND manages ~200/s;
 * this, thousands). `flags` uses Maildir letters (S seen, F flagged).
 */
export function seedMaildir(
  dovecot: Dovecot,
  user: string,
  messages: Iterable<{ raw: Buffer | string; flags?: string; time?: number }>,
  folder = '',
): number {
  const path = ensureMaildir(dovecot, user, folder)
  let n = 0
  const stamp = Math.floor(Date.now() / 1000)
  for (const message of messages) {
    n++
    const name = `${message.time ?? stamp}.M${n}P${process.pid}.cairn:2,${message.flags ?? ''}`
    writeFileSync(join(path, 'cur', name), message.raw)
  }
  if (process.getuid?.() === 0)
    execFileSync('chown', ['-R', `${MAIL_UID}:${MAIL_GID}`, join(dovecot.dir, 'mail')])
  return n
}
