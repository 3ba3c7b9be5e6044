import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { freePort } from './postgres'
import { killTree } from './process-tree'

export interface SshServer {
  host: string
  port: number
  user: string
  /** The folder the tests back up into (absolute, on this machine). */
  root: string
  /** The user's private key (OpenSSH format) and its path. */
  userKey: Buffer
  userKeyPath: string
  /** The host key's fingerprint as ssh-keygen -l shows it (SHA256:…). */
  hostKeyFingerprint: string
  /** A second port where every session is read-only (internal-sftp -R): writes are refused. */
  readOnlyPort: number
  /** Restart with a new host key (a reinstalled server, or someone in between). */
  replaceHostKey(): Promise<void>
  /** SIGKILL the server and every session it runs (mid-upload), then start it again with restart(). */
  kill(): Promise<void>
  restart(): Promise<void>
  stop(): Promise<void>
}

const SSHD = '/usr/sbin/sshd'

function keygen(path: string, type = 'ed25519'): void {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path, '-C', 'cairn-test'], {
    stdio: 'pipe',
  })
}

/** OpenSSH's sshd on a loopback port with a throwaway host key and a user key (Debian: openssh-server). */
export async function startSshd(): Promise<SshServer> {
  if (!existsSync(SSHD))
    throw new Error('The SFTP tests need OpenSSH’s sshd (Debian: openssh-server).')
  const dir = mkdtempSync(join(tmpdir(), 'cairn-sshd-'))
  const root = join(dir, 'backups')
  mkdirSync(root)
  mkdirSync('/run/sshd', { recursive: true })
  const hostKey = join(dir, 'host_ed25519')
  const userKeyPath = join(dir, 'user_ed25519')
  keygen(hostKey)
  keygen(userKeyPath)
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${userKeyPath}.pub`))
  const port = await freePort()
  const readOnlyPort = await freePort()
  const config = join(dir, 'sshd_config')
  writeFileSync(
    config,
    [
      `Port ${port}`,
      `Port ${readOnlyPort}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'AuthenticationMethods publickey',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'StrictModes no',
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
      `Match LocalPort ${readOnlyPort}`,
      '  ForceCommand internal-sftp -R',
      '',
    ].join('\n'),
  )
  execFileSync(SSHD, ['-t', '-f', config], { stdio: 'pipe' })
  let child: ChildProcess
  const start = async () => {
    child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] })
    for (let i = 0; i < 100; i++) {
      if (await listening(port)) return
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error('sshd did not start')
  }
  const stopChild = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    if (signal === 'SIGKILL') killTree(child.pid as number)
    else child.kill(signal)
    await exited
    for (let i = 0; i < 100 && (await listening(port)); i++)
      await new Promise((r) => setTimeout(r, 50))
  }
  await start()
  const fingerprint = () =>
    execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`])
      .toString()
      .split(' ')[1] as string
  const server: SshServer = {
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    root,
    userKey: readFileSync(userKeyPath),
    userKeyPath,
    hostKeyFingerprint: fingerprint(),
    readOnlyPort,
    kill: () => stopChild('SIGKILL'),
    restart: start,
    async replaceHostKey() {
      await stopChild()
      rmSync(hostKey)
      rmSync(`${hostKey}.pub`)
      keygen(hostKey)
      server.hostKeyFingerprint = fingerprint()
      await start()
    },
    async stop() {
      await stopChild()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return server
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
