import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
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
import { killTree } from './process-tree'

export interface ApacheDav {
  /** https://127.0.0.1:PORT */
  origin: string
  port: number
  /** The folders behind /basic/ and /digest/ (on this machine, owned by www-data). */
  basicRoot: string
  digestRoot: string
  user: string
  password: string
  /** The folders behind the extra locations asked for (/<name>/), Basic auth. */
  folders: Record<string, string>
  /** Restart with another certificate (a changed server certificate). */
  restartWith(tls: { cert: string; key: string }): Promise<void>
  /** SIGKILL httpd and its workers (a server killed mid-request); start() brings it back. */
  kill(): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
}

export interface DavFolder {
  /** Where its files go (default: a folder of its own); e.g. a small tmpfs for a full disk. */
  root?: string
  /** Only GET, HEAD, OPTIONS and PROPFIND allowed (403 for every write). */
  readOnly?: boolean
}

const MODULES = '/usr/lib/apache2/modules'
const APACHE = '/usr/sbin/apache2'

/**
 * Apache httpd with mod_dav over TLS on a loopback port, with two WebDAV
 * folders: /basic/ (Basic auth) and /digest/ (Digest auth), one user each
 * (Debian: apache2, apache2-utils).
 */
export async function startApacheDav(
  tls: { cert: string; key: string },
  options: { folders?: Record<string, DavFolder> } = {},
): Promise<ApacheDav> {
  if (!existsSync(APACHE))
    throw new Error('The WebDAV tests need Apache httpd (Debian: apache2, apache2-utils).')
  const dir = mkdtempSync(join(tmpdir(), 'cairn-apache-'))
  chmodSync(dir, 0o755)
  const basicRoot = join(dir, 'basic')
  const digestRoot = join(dir, 'digest')
  const locks = join(dir, 'locks')
  for (const d of [basicRoot, digestRoot, locks]) mkdirSync(d)
  const folders: Record<string, string> = {}
  for (const [name, folder] of Object.entries(options.folders ?? {})) {
    folders[name] = folder.root ?? join(dir, `folder-${name}`)
    mkdirSync(folders[name] as string, { recursive: true })
  }
  const user = 'cairn'
  const password = 'dav-secret-ü'
  execFileSync('htpasswd', ['-bcB', join(dir, 'htpasswd'), user, password], { stdio: 'pipe' })
  // htdigest reads the password twice from its terminal: write its file directly (user:realm:MD5(user:realm:password)).
  const { createHash } = await import('node:crypto')
  const realm = 'Cairn DAV'
  writeFileSync(
    join(dir, 'htdigest'),
    `${user}:${realm}:${createHash('md5').update(`${user}:${realm}:${password}`).digest('hex')}\n`,
  )
  const asRoot = process.getuid?.() === 0
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'www-data']).toString())
    const gid = Number(execFileSync('id', ['-g', 'www-data']).toString())
    for (const d of [basicRoot, digestRoot, locks, ...Object.values(folders)])
      chownSync(d, uid, gid)
  }
  const port = await freePort()
  const config = join(dir, 'httpd.conf')
  const write = (certificate: { cert: string; key: string }) =>
    writeFileSync(
      config,
      [
        `ServerRoot ${dir}`,
        `Listen 127.0.0.1:${port}`,
        'ServerName 127.0.0.1',
        `PidFile ${join(dir, 'httpd.pid')}`,
        `DefaultRuntimeDir ${dir}`,
        `Mutex file:${dir}`,
        ...[
          'mpm_event',
          'authz_core',
          'authn_core',
          'authn_file',
          'auth_basic',
          'auth_digest',
          'authz_user',
          'dav',
          'dav_fs',
          'ssl',
          'socache_shmcb',
          'alias',
        ].map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`),
        ...(asRoot ? ['User www-data', 'Group www-data'] : []),
        `ErrorLog ${join(dir, 'error.log')}`,
        'LogLevel warn',
        `SSLSessionCache shmcb:${join(dir, 'ssl_scache')}(512000)`,
        'SSLEngine on',
        `SSLCertificateFile ${certificate.cert}`,
        `SSLCertificateKeyFile ${certificate.key}`,
        `DAVLockDB ${join(locks, 'lockdb')}`,
        `Alias /basic ${basicRoot}`,
        `Alias /digest ${digestRoot}`,
        `<Directory ${basicRoot}>`,
        '  Dav On',
        '  AuthType Basic',
        '  AuthName "Cairn DAV"',
        `  AuthUserFile ${join(dir, 'htpasswd')}`,
        '  Require valid-user',
        '</Directory>',
        `<Directory ${digestRoot}>`,
        '  Dav On',
        '  AuthType Digest',
        `  AuthName "${realm}"`,
        '  AuthDigestProvider file',
        `  AuthUserFile ${join(dir, 'htdigest')}`,
        '  Require valid-user',
        '</Directory>',
        ...Object.entries(folders).flatMap(([name, root]) => [
          `Alias /${name} ${root}`,
          `<Directory ${root}>`,
          '  Dav On',
          '  AuthType Basic',
          '  AuthName "Cairn DAV"',
          `  AuthUserFile ${join(dir, 'htpasswd')}`,
          ...(options.folders?.[name]?.readOnly
            ? [
                '  <LimitExcept GET HEAD OPTIONS PROPFIND>',
                '    Require all denied',
                '  </LimitExcept>',
                '  <Limit GET HEAD OPTIONS PROPFIND>',
                '    Require valid-user',
                '  </Limit>',
              ]
            : ['  Require valid-user']),
          '</Directory>',
        ]),
        '',
      ].join('\n'),
    )
  let child: ChildProcess
  const start = async () => {
    child = spawn(APACHE, ['-f', config, '-DFOREGROUND'], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    for (let i = 0; i < 100; i++) {
      if (await listening(port)) return
      if (child.exitCode !== null) break
      await new Promise((r) => setTimeout(r, 50))
    }
    const log = existsSync(join(dir, 'error.log'))
      ? readFileSync(join(dir, 'error.log'), 'utf8')
      : ''
    throw new Error(`apache2 did not start: ${stderr}${log}`)
  }
  let current = tls
  const stopChild = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    if (signal === 'SIGKILL') killTree(child.pid as number)
    else child.kill(signal)
    await exited
    for (let i = 0; i < 100 && (await listening(port)); i++)
      await new Promise((r) => setTimeout(r, 50))
  }
  write(tls)
  await start()
  return {
    origin: `https://127.0.0.1:${port}`,
    port,
    basicRoot,
    digestRoot,
    folders,
    user,
    password,
    async restartWith(certificate) {
      await stopChild()
      current = certificate
      write(certificate)
      await start()
    },
    kill: () => stopChild('SIGKILL'),
    async start() {
      write(current)
      await start()
    },
    async stop() {
      await stopChild()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
