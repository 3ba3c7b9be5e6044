import { randomBytes } from 'node:crypto'
import { posix } from 'node:path'
import type { Readable } from 'node:stream'
import type { Client, ConnectConfig, SFTPWrapper } from 'ssh2'
import { CairnError, isCairnError } from '../../../shared/errors.js'
import type { ByteRange } from '../destination.js'
import { destinationError, networkError } from '../destination-errors.js'
import { printable, type FileStore, type StoreEntry, type StoreWriter } from '../file-store.js'
import { AnswerWatch, SFTP_IDLE_TIMEOUT_MS, type Why } from './answer-watch.js'
import { hostKeyFingerprint, HostKeyError } from './host-key.js'
import { pipelinedRead } from './pipelined-read.js'
import { pipelinedWrite } from './pipelined-write.js'
import { readFolder, type FolderEntry } from './read-folder.js'
import { requestSize } from './request-size.js'

export interface SftpSettings {
  host: string
  port: number
  username: string
  /** The folder on the server (absolute). */
  path: string
  /** The pinned host key fingerprint (SHA256:…); null: not pinned yet, the first connection fails with HostKeyError. */
  hostKey: string | null
  /** An OpenSSH private key (the file's contents) and its passphrase, if any. */
  privateKey?: Buffer | null
  passphrase?: string | null
  /** ssh-agent's socket (SSH_AUTH_SOCK). */
  agent?: string | null
  password?: string | null
  /**
   * How long the server may leave a call unanswered (and, when given, the
   * SSH handshake take) before the connection is dropped: answer-watch.ts.
   */
  timeoutMs?: number
  /** The longest one listing of the folder may take (read-folder.ts). */
  listingTimeoutMs?: number
}

const SFTP_EOF = 1
const SFTP_NO_SUCH_FILE = 2
const SFTP_PERMISSION_DENIED = 3

/**
 * A folder on an SFTP server, through one SSH connection. The server's host
 * key must match the pinned fingerprint before anything is sent. A backup
 * is committed with the protocol's plain RENAME, which (SFTP v3, and
 * OpenSSH's link-then-unlink) fails rather than replace an existing name;
 * sidecars replace atomically with posix-rename@openssh.com where offered.
 */
export class SftpStore implements FileStore {
  readonly kind = 'sftp' as const
  readonly label: string
  private connection: Promise<{ client: Client; sftp: SFTPWrapper }> | null = null
  /**
   * Per session, calls waiting for an answer: failed at once when its
   * connection closes, and the connection dropped when none comes in time.
   */
  private readonly waiting = new WeakMap<SFTPWrapper, AnswerWatch>()
  /** The connection each session runs over (to drop it, see abandon()). */
  private readonly clients = new WeakMap<SFTPWrapper, Client>()
  /** Sessions whose connection is still open (a write on a closed one would wait for ever). */
  private readonly live = new WeakSet<SFTPWrapper>()
  private readonly dir: string
  private readonly idleMs: number

  constructor(private readonly settings: SftpSettings) {
    this.dir = posix.normalize(settings.path.startsWith('/') ? settings.path : `/${settings.path}`)
    const port = settings.port === 22 ? '' : `:${settings.port}`
    this.label = `sftp://${settings.username}@${settings.host}${port}${this.dir}`
    this.idleMs = settings.timeoutMs ?? SFTP_IDLE_TIMEOUT_MS
  }

  async list(): Promise<StoreEntry[]> {
    const sftp = await this.sftp()
    // Not readdir(path): it asks for more until the server says "end", keeping every name.
    const list = await readFolder(
      {
        opendir: () =>
          this.call<Buffer>(sftp, (cb) => sftp.opendir(this.dir, cb), 'list the folder'),
        readdir: (handle) =>
          this.call<FolderEntry[] | null>(
            sftp,
            (cb) =>
              sftp.readdir(handle, (error, names) =>
                (error as { code?: unknown } | undefined)?.code === SFTP_EOF
                  ? cb(undefined, null)
                  : cb(error, names),
              ),
            'list the folder',
          ),
        close: (handle) => this.call<void>(sftp, (cb) => sftp.close(handle, cb), 'list the folder'),
        abandon: () => this.abandon(sftp),
      },
      this.label,
      this.settings.listingTimeoutMs,
    )
    return list.map((entry) => ({
      name: entry.filename,
      size: entry.attrs.size,
      isFile: (entry.attrs.mode & 0o170000) === 0o100000,
      modifiedAt: new Date(entry.attrs.mtime * 1000),
    }))
  }

  async stat(name: string): Promise<StoreEntry | null> {
    const sftp = await this.sftp()
    try {
      const stats = await this.call<{ mode: number; size: number; mtime: number }>(
        sftp,
        (cb) => sftp.lstat(this.path(name), cb),
        'read a file’s size',
      )
      return {
        name,
        size: stats.size,
        isFile: (stats.mode & 0o170000) === 0o100000,
        modifiedAt: new Date(stats.mtime * 1000),
      }
    } catch (error) {
      if (isCairnError(error, 'DESTINATION_MISSING')) return null
      throw error
    }
  }

  async create(name: string): Promise<StoreWriter | 'taken'> {
    const sftp = await this.sftp()
    const path = this.path(name)
    let handle: Buffer
    try {
      handle = await this.call<Buffer>(
        sftp,
        (cb) => sftp.open(path, 'wx', { mode: 0o600 }, cb),
        'create a file',
      )
    } catch (error) {
      if (connectionFailure(error)) throw error
      if ((await this.stat(name)) !== null) return 'taken'
      throw error
    }
    let settle!: { resolve: () => void; reject: (e: unknown) => void }
    const durable = new Promise<void>((resolve, reject) => (settle = { resolve, reject }))
    durable.catch(() => undefined)
    let released = false
    const release = () => {
      if (released) return
      released = true
      sftp.close(handle, () => undefined)
    }
    // Many writes in flight (pipelined-write.ts): one at a time bounds an upload by the round trip.
    const stream = pipelinedWrite({
      block: requestSize(sftp, 'write'),
      check: () => (this.live.has(sftp) ? null : this.lost('write the backup')),
      writeAt: (at, data) =>
        this.call<void>(
          sftp,
          (cb) => sftp.write(handle, data, 0, data.length, at, cb),
          'write the backup',
        ),
      explain: (error) => this.explainWriteFailure(error),
      finish: async () => {
        if (!this.live.has(sftp)) throw this.lost('finish the backup file')
        // fsync@openssh.com where offered; other servers flush on close. Its refusal is no
        // failure, but a server that stops answering it is (a lost or silent connection).
        await this.call<void>(
          sftp,
          (cb) => sftp.ext_openssh_fsync(handle, cb),
          'finish the backup file',
        ).catch((error: unknown) => {
          if (connectionFailure(error)) throw error
        })
        released = true
        await this.call<void>(sftp, (cb) => sftp.close(handle, cb), 'close the backup file')
      },
      release,
    })
    stream.once('finish', () => settle.resolve())
    stream.once('error', (error) => settle.reject(error))
    stream.once('close', () => settle.reject(this.lost('finish the backup file')))
    return { stream, done: () => durable }
  }

  async claim(from: string, to: string): Promise<'claimed' | 'taken'> {
    const sftp = await this.sftp()
    try {
      await this.call<void>(
        sftp,
        (cb) => sftp.rename(this.path(from), this.path(to), cb),
        'name the backup',
      )
      return 'claimed'
    } catch (error) {
      // A refusal may mean the name is taken; a lost or silent connection says nothing about it.
      if (connectionFailure(error)) throw error
      if ((await this.stat(to)) !== null) return 'taken'
      throw error
    }
  }

  async writeSmall(name: string, data: Buffer): Promise<void> {
    const sftp = await this.sftp()
    const temp = `${name}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
    await this.call<void>(
      sftp,
      (cb) => sftp.writeFile(this.path(temp), data, { mode: 0o600 }, cb),
      'write a file',
    )
    try {
      await this.call<void>(
        sftp,
        (cb) => sftp.ext_openssh_rename(this.path(temp), this.path(name), cb),
        'replace a file',
      )
    } catch (error) {
      if (error instanceof CairnError && error.code !== 'DESTINATION_SERVER') {
        await this.remove(temp)
        throw error
      }
      // No posix-rename here: remove, then rename (a crash in between loses only this small file).
      await this.remove(name)
      await this.call<void>(
        sftp,
        (cb) => sftp.rename(this.path(temp), this.path(name), cb),
        'replace a file',
      )
    }
  }

  async readSmall(name: string, limit: number): Promise<Buffer | null> {
    const entry = await this.stat(name)
    if (!entry || !entry.isFile || entry.size > limit) return null
    const sftp = await this.sftp()
    return this.call<Buffer>(sftp, (cb) => sftp.readFile(this.path(name), cb), 'read a file')
  }

  async read(name: string, range?: ByteRange): Promise<Readable> {
    const entry = await this.stat(name)
    if (!entry?.isFile)
      throw destinationError(
        'DESTINATION_MISSING',
        this.label,
        `there is no backup ${printable(name)}.`,
      )
    const sftp = await this.sftp()
    // Several requests in flight: one at a time bounds a restore by the round trip.
    return pipelinedRead(
      sftp,
      this.path(name),
      range?.start ?? 0,
      range?.end ?? entry.size - 1,
      (start) => this.call(sftp, start, 'read the backup'),
      (error) => this.sftpError(error, 'read the backup'),
    )
  }

  async remove(name: string): Promise<void> {
    const sftp = await this.sftp()
    try {
      await this.call<void>(sftp, (cb) => sftp.unlink(this.path(name), cb), 'delete a file')
    } catch (error) {
      if (!isCairnError(error, 'DESTINATION_MISSING')) throw error
    }
  }

  async probe(): Promise<Record<string, string>> {
    const sftp = await this.sftp()
    const stats = await this.call<{ mode: number }>(
      sftp,
      (cb) => sftp.stat(this.dir, cb),
      'open the folder',
    )
    if ((stats.mode & 0o170000) !== 0o040000)
      throw destinationError('DESTINATION_INVALID', this.label, `${this.dir} is not a folder.`)
    return { folder: this.dir, hostKey: this.settings.hostKey ?? '' }
  }

  async close(): Promise<void> {
    const connection = this.connection
    this.connection = null
    if (connection) (await connection.catch(() => null))?.client.end()
  }

  private path(name: string): string {
    // eslint-disable-next-line no-control-regex -- control characters are what is refused
    if (!name || name === '.' || name === '..' || /[/\\\0-\x1f]/.test(name))
      throw destinationError(
        'DESTINATION_INVALID',
        this.label,
        `refusing the name "${printable(name)}".`,
      )
    return posix.join(this.dir, name)
  }

  private sftp(again = true): Promise<SFTPWrapper> {
    if (!this.connection) {
      const connection = this.connect()
      this.connection = connection
      // Only this connection is forgotten when it fails or closes: a newer one may have taken its place.
      const forget = () => {
        if (this.connection === connection) this.connection = null
      }
      connection.then(({ client }) => client.once('close', forget), forget)
    }
    const connection = this.connection
    return connection.then((c) => {
      // Dropped (abandon()) a moment ago: abandon() forgets it only once its promise settles.
      // Once: a server that closes every session at once fails the call as lost, not a loop.
      if (!again || this.live.has(c.sftp) || this.connection !== connection) return c.sftp
      this.connection = null
      return this.sftp(false)
    })
  }

  /**
   * Drop the connection `sftp` runs over, now. After a listing's time-out
   * its unanswered request would otherwise wait until the connection
   * closed, and a server answering in order (OpenSSH's sftp-server on a
   * stuck disk) would never answer anything sent after it. Every call
   * still waiting on it fails as a lost connection; the next operation
   * connects again.
   */
  private abandon(sftp: SFTPWrapper, why: Why = (action) => this.lost(action)): void {
    const client = this.clients.get(sftp)
    this.live.delete(sftp)
    this.failWaiting(sftp, why)
    const connection = this.connection
    void connection?.then(
      (current) => {
        if (current.sftp === sftp && this.connection === connection) this.connection = null
      },
      () => undefined,
    )
    // Already closed (not writable): destroy() does nothing, and nothing is left to end.
    client?.destroy()
  }

  private failWaiting(sftp: SFTPWrapper, why: Why = (action) => this.lost(action)): void {
    const waiting = this.waiting.get(sftp)
    this.waiting.delete(sftp)
    waiting?.end(why)
  }

  /** What a call fails with when the server left it unanswered past the idle deadline. */
  private silent(action: string): CairnError {
    return destinationError(
      'DESTINATION_TIMEOUT',
      this.label,
      `the server stopped answering: nothing came back for ${this.idleMs / 1000} s (while trying to ${action}). Cairn dropped the connection; nothing incomplete is kept, so trying again is safe. Check the network and the server (its disk may be stuck), or try again later.`,
    )
  }

  private async connect(): Promise<{ client: Client; sftp: SFTPWrapper }> {
    const { settings } = this
    // Loaded on first connection: commands that use other kinds of destination never pay for ssh2.
    const { Client } = await import('ssh2')
    return new Promise((resolve, reject) => {
      const client = new Client()
      let hostKeyFailure: HostKeyError | null = null
      const config: ConnectConfig = {
        host: settings.host,
        port: settings.port,
        username: settings.username,
        readyTimeout: settings.timeoutMs ?? 20_000,
        keepaliveInterval: 15_000,
        hostVerifier: (key: Buffer) => {
          const { fingerprint, algorithm } = hostKeyFingerprint(key)
          if (settings.hostKey === fingerprint) return true
          hostKeyFailure = new HostKeyError(
            settings.hostKey ? 'changed' : 'unknown',
            this.label,
            fingerprint,
            algorithm,
            settings.hostKey,
          )
          return false
        },
        ...(settings.privateKey ? { privateKey: settings.privateKey } : {}),
        ...(settings.passphrase ? { passphrase: settings.passphrase } : {}),
        ...(settings.agent ? { agent: settings.agent } : {}),
        ...(settings.password ? { password: settings.password } : {}),
      }
      let settled = false
      const fail = (error: unknown) => {
        if (settled) return
        settled = true
        reject(error)
      }
      const succeed = (value: { client: Client; sftp: SFTPWrapper }) => {
        if (settled) return
        settled = true
        resolve(value)
      }
      client.once('ready', () => {
        // Errors after the handshake reach each call through its callback; the emitter's own must not end the process.
        client.on('error', () => undefined)
        // Requests are small packets sent while answers stream in: with Nagle on, a restore
        // stalled on delayed ACKs in about half the runs (120 instead of 300 MB/s on loopback).
        client.setNoDelay(true)
        // readyTimeout ends at the login; a server that then never opens the SFTP channel
        // (a stuck subsystem) would leave the caller waiting for ever.
        const opening = setTimeout(() => {
          fail(
            destinationError(
              'DESTINATION_TIMEOUT',
              this.label,
              `the server accepted the login but did not start SFTP within ${this.idleMs / 1000} s. Cairn dropped the connection. Check that the server offers SFTP (Subsystem sftp in sshd_config), or try again later.`,
            ),
          )
          client.destroy()
        }, this.idleMs)
        client.sftp((error, sftp) => {
          clearTimeout(opening)
          if (!error) {
            sftp.on('error', () => undefined)
            this.live.add(sftp)
            this.waiting.set(
              sftp,
              new AnswerWatch(this.idleMs, () =>
                this.abandon(sftp, (action) => this.silent(action)),
              ),
            )
            this.clients.set(sftp, client)
            session = sftp
          }
          if (error) {
            client.end()
            fail(
              destinationError(
                'DESTINATION_SERVER',
                this.label,
                `the server offers no SFTP (${error.message}).`,
                error,
              ),
            )
          } else succeed({ client, sftp })
        })
      })
      // `on`, not `once`: ssh2 may report one lost connection twice, and an unheard error ends the process.
      client.on('error', (error: Error & { level?: string }) => {
        if (settled) return
        client.end()
        if (hostKeyFailure) fail(hostKeyFailure)
        else if (error.level === 'client-authentication')
          fail(
            destinationError(
              'DESTINATION_AUTH',
              this.label,
              `the server did not accept the login of ${settings.username} (tried: ${
                [
                  settings.privateKey ? 'key file' : null,
                  settings.agent ? 'ssh-agent' : null,
                  settings.password ? 'password' : null,
                ]
                  .filter(Boolean)
                  .join(', ') || 'nothing'
              }). Give the right key with --identity FILE, load it into ssh-agent, or check the user name.`,
              error,
            ),
          )
        else if (error.level === 'client-timeout' || /Timed out/i.test(error.message))
          fail(
            destinationError(
              'DESTINATION_TIMEOUT',
              this.label,
              'the server did not answer the SSH handshake in time.',
              error,
            ),
          )
        else
          fail(
            networkError(this.label, error) ??
              destinationError(
                'DESTINATION_UNREACHABLE',
                this.label,
                `the SSH connection failed (${error.message}).`,
                error,
              ),
          )
      })
      let session: SFTPWrapper | null = null
      client.on('close', () => {
        if (session) {
          this.live.delete(session)
          this.failWaiting(session)
        }
        // Closed before it was ready, without a word: never leave the caller waiting.
        fail(
          destinationError(
            'DESTINATION_UNREACHABLE',
            this.label,
            'the server closed the connection before SFTP was ready. Check the address and that the server runs SFTP.',
          ),
        )
      })
      try {
        client.connect(config)
      } catch (error) {
        fail(
          destinationError(
            'DESTINATION_INVALID',
            this.label,
            `the SSH settings are not usable (${(error as Error).message}).`,
            error,
          ),
        )
      }
    })
  }

  private lost(action: string): CairnError {
    return destinationError(
      'DESTINATION_UNREACHABLE',
      this.label,
      `the connection to the server was lost (while trying to ${action}). Check the network; nothing incomplete is ever kept, so trying again is safe.`,
    )
  }

  /**
   * Run an SFTP call, turning its status into a typed error. A call still
   * waiting when the connection closes fails then (ssh2 may otherwise keep
   * it queued on a dead channel for ever).
   */
  private call<T>(
    sftp: SFTPWrapper,
    start: (cb: (error: Error | undefined | null, value: T) => void) => void,
    action: string,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // The session's connection closed, or was dropped (abandon()): nothing would ever answer.
      const answered = this.waiting.get(sftp)?.begin((why) => reject(why(action)))
      if (!answered) return reject(this.lost(action))
      try {
        start((error, value) => {
          answered()
          if (error) reject(this.sftpError(error, action))
          else resolve(value)
        })
      } catch (error) {
        answered()
        reject(this.sftpError(error as Error, action))
      }
    })
  }

  private sftpError(error: Error & { code?: number | string }, action: string): CairnError {
    if (isCairnError(error)) return error
    if (error.code === SFTP_NO_SUCH_FILE)
      return destinationError(
        'DESTINATION_MISSING',
        this.label,
        `the folder or file is not there (while trying to ${action}). Check the path.`,
        error,
      )
    if (error.code === SFTP_PERMISSION_DENIED)
      return destinationError(
        'DESTINATION_DENIED',
        this.label,
        `the server does not let ${this.settings.username} ${action} there. Check the folder's permissions.`,
        error,
      )
    const network = networkError(this.label, error)
    if (network) return network
    if (/No SFTP|not connected|Channel/i.test(error.message))
      return destinationError(
        'DESTINATION_UNREACHABLE',
        this.label,
        `the connection to the server was lost (while trying to ${action}).`,
        error,
      )
    return destinationError(
      'DESTINATION_SERVER',
      this.label,
      `the server failed to ${action} (${error.message}).`,
      error,
    )
  }

  /** A failed write: the disk may be full (SFTP v3 has no code for it, so ask statvfs). */
  private async explainWriteFailure(error: unknown): Promise<CairnError> {
    const failure = isCairnError(error) ? error : this.sftpError(error as Error, 'write the backup')
    if (failure.code !== 'DESTINATION_SERVER') return failure
    try {
      const sftp = await this.sftp()
      // ssh2 names the fields as statvfs(3) does (f_bavail …), as numbers or bigints.
      const info = await this.call<Record<string, number | bigint | undefined>>(
        sftp,
        (cb) => sftp.ext_openssh_statvfs(this.dir, cb),
        'check the free space',
      )
      const free = Number(info.f_bavail ?? 0) * Number(info.f_frsize || info.f_bsize || 0)
      if (free < 1 << 20) {
        return destinationError(
          'DESTINATION_FULL',
          this.label,
          'the server’s disk is full. The unfinished backup was removed and older backups are untouched; free space there or prune old backups.',
          error,
        )
      }
    } catch {
      // No statvfs: keep the error as it is.
    }
    return failure
  }
}

/** The connection failed (lost, or the server went silent): nothing about the file can be told from it. */
function connectionFailure(error: unknown): boolean {
  return (
    isCairnError(error, 'DESTINATION_UNREACHABLE') || isCairnError(error, 'DESTINATION_TIMEOUT')
  )
}
