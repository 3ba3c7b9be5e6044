import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Server } from 'ssh2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FileStoreDestination } from '../../main/backup/destination/file-store'
import { HostKeyError, hostKeyFingerprint } from '../../main/backup/destination/sftp/host-key'
import { SftpDestination } from '../../main/backup/destination/sftp/sftp-destination'
import { SftpStore, type SftpSettings } from '../../main/backup/destination/sftp/sftp-store'
import { isCairnError, type ErrorCode } from '../../main/shared/errors'
import { describeDestinationContract, readAll, writeBackup } from '../support/destination-contract'
import { startSshd, type SshServer } from '../support/sshd'
import { backupIntoStall, stallBefore, until } from '../support/stalls'
import { startRelay } from '../support/tcp-relay'
import { within } from '../support/within'

let sshd: SshServer
beforeAll(async () => {
  sshd = await startSshd()
})
afterAll(async () => {
  await sshd?.stop()
})

/** Where a test's own ssh2 server (host key `blob`) listens once started, with made-up credentials. */
async function addressOf(server: Server, blob: Buffer) {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    host: '127.0.0.1',
    port: (server.address() as { port: number }).port,
    username: 'anyone',
    password: 'anything',
    path: '/backups',
    hostKey: hostKeyFingerprint(blob).fingerprint,
  }
}

const settings = (extra: Partial<SftpSettings> = {}): SftpSettings => ({
  host: sshd.host,
  port: sshd.port,
  username: sshd.user,
  path: sshd.root,
  hostKey: sshd.hostKeyFingerprint,
  privateKey: sshd.userKey,
  ...extra,
})

describeDestinationContract('SFTP (OpenSSH sshd)', async () => {
  const destination = new SftpDestination(settings())
  const dir = sshd.root
  return {
    destination,
    rawPut: async (name, data) => writeFileSync(join(dir, name), data),
    rawGet: async (name) => {
      try {
        return readFileSync(join(dir, name))
      } catch {
        return null
      }
    },
    rawNames: async () => readdirSync(dir),
    rawFolder: async (name) => mkdirSync(join(dir, name)),
    dispose: () => destination.close(),
  }
})

describe('SFTP host keys and logins', () => {
  it('refuses a server whose host key is not pinned yet, showing its SHA-256 fingerprint', async () => {
    const destination = new SftpDestination(settings({ hostKey: null }))
    const error = await destination.test().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HostKeyError)
    expect((error as HostKeyError).code).toBe('DESTINATION_HOST_KEY_UNKNOWN')
    expect((error as HostKeyError).fingerprint).toBe(sshd.hostKeyFingerprint)
    expect((error as HostKeyError).message).toContain(sshd.hostKeyFingerprint)
    await destination.close()
  })

  it('refuses a wrong key login with a message that says what to do', async () => {
    const { execFileSync } = await import('node:child_process')
    const { mkdtempSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const other = join(mkdtempSync(join(tmpdir(), 'cairn-key-')), 'k')
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other])
    const destination = new SftpDestination(settings({ privateKey: readFileSync(other) }))
    await expect(destination.test()).rejects.toSatisfy(
      (e) => isCairnError(e, 'DESTINATION_AUTH') && /--identity/.test((e as Error).message),
    )
    await destination.close()
  })

  it('refuses a changed host key and sends nothing', async () => {
    const pinned = sshd.hostKeyFingerprint
    await sshd.replaceHostKey()
    const destination = new SftpDestination(settings({ hostKey: pinned }))
    const error = await destination.list().catch((e: unknown) => e)
    expect(isCairnError(error, 'DESTINATION_HOST_KEY_CHANGED')).toBe(true)
    expect((error as Error).message).toContain(pinned)
    expect((error as Error).message).toContain(sshd.hostKeyFingerprint)
    await destination.close()
  })
})

describe('SFTP transfer size', () => {
  it('learns from OpenSSH that it takes 128 KiB per request (ssh2 still keeps the limits where request-size.ts reads them)', async () => {
    const { Client } = await import('ssh2')
    const { requestSize } = await import('../../main/backup/destination/sftp/request-size')
    const client = new Client()
    const sizes = await new Promise<[number, number]>((resolve, reject) => {
      client.once('error', reject)
      client.once('ready', () =>
        client.sftp((error, sftp) =>
          error ? reject(error) : resolve([requestSize(sftp, 'read'), requestSize(sftp, 'write')]),
        ),
      )
      client.connect({
        host: sshd.host,
        port: sshd.port,
        username: sshd.user,
        privateKey: sshd.userKey,
      })
    })
    client.end()
    expect(sizes).toEqual([128 * 1024, 128 * 1024])
  })
})

/**
 * An SFTP server is anyone's (or the attacker's): asked for the folder's
 * names, it may never say the folder ends, give millions of them, or give
 * one now and then for ever. OpenSSH cannot be made to, so this is a small
 * SFTP server of ssh2's own, spoken to over a real SSH connection.
 */
describe('a hostile SFTP server listing the folder', () => {
  it('stops a listing that never ends (crowded, empty, trickling or silent answers) and names the destination', async () => {
    const { Server, utils } = await import('ssh2')
    type Mode = 'crowded' | 'empty' | 'trickle' | 'silent'
    let mode: Mode = 'crowded'
    let answers = 0
    const keys = utils.generateKeyPairSync('ed25519')
    const blob = Buffer.from(keys.public.split(' ')[1] as string, 'base64')
    const attrs = { mode: 0o100600, uid: 0, gid: 0, size: 1, atime: 0, mtime: 0 }
    const page = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => {
        const filename = `junk-${from + i}`
        return { filename, longname: filename, attrs }
      })
    // Bounded even for a client that reads without end: the test must fail, not exhaust memory.
    const cap: Record<Mode, number> = { crowded: 300, empty: 50_000, trickle: 1000, silent: 0 }
    const server = new Server({ hostKeys: [keys.private] }, (client) => {
      client.on('error', () => undefined)
      client.on('authentication', (context) => context.accept())
      // Answers go out at once (no Nagle): thousands of them make one listing here.
      client.on('ready', () => {
        ;(client as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true)
        client.on('session', (accept) =>
          accept().on('sftp', (acceptSftp) => {
            const sftp = acceptSftp()
            sftp.on('OPENDIR', (id) => sftp.handle(id, Buffer.from('folder')))
            sftp.on('CLOSE', (id) => sftp.status(id, utils.sftp.STATUS_CODE.OK))
            sftp.on('READDIR', (id) => {
              if (answers >= cap[mode]) return
              const n = answers++
              if (mode === 'crowded') sftp.name(id, page(n * 1000, 1000))
              else if (mode === 'empty') sftp.name(id, [])
              else setTimeout(() => sftp.name(id, page(n, 1)), 50)
            })
          }),
        )
      })
    })
    const address = await addressOf(server, blob)
    // Volume is refused whatever the time it takes to arrive; time, by a deadline of its own.
    const destination = new SftpDestination(address)
    const impatient = new SftpDestination({ ...address, listingTimeoutMs: 2000 })
    const refused = (code: ErrorCode, why: RegExp) => (e: unknown) =>
      isCairnError(e, code) &&
      (e as Error).message.startsWith(
        `Backup destination sftp://anyone@127.0.0.1:${address.port}/backups: `,
      ) &&
      why.test((e as Error).message)
    const cases: [Mode, ErrorCode, RegExp, number][] = [
      ['crowded', 'DESTINATION_SERVER', /does not end: .* 101 answers and 101,000 names/, 101],
      ['empty', 'DESTINATION_SERVER', /does not end: .* 10,000 answers and 0 names/, 10_000],
      ['trickle', 'DESTINATION_TIMEOUT', /listing of the folder did not end within 2 s/, 0],
      ['silent', 'DESTINATION_TIMEOUT', /listing of the folder did not end within 2 s/, 0],
    ]
    try {
      for (const [which, code, why, expected] of cases) {
        mode = which
        answers = 0
        const listing = (which === 'trickle' || which === 'silent' ? impatient : destination).list()
        await expect(within(listing, which, 20_000)).rejects.toSatisfy(refused(code, why))
        if (expected) expect(answers, which).toBe(expected)
      }
    } finally {
      await destination.close()
      await impatient.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})

/**
 * A listing that times out leaves one request unanswered. OpenSSH's
 * sftp-server answers in order, so on a stuck disk nothing sent after it
 * on that session is answered either; left alone, the request waited until
 * the connection closed and every later operation queued behind it. The
 * time-out must end the session: the server sees the connection closed,
 * and the next operation, on a new connection, is answered.
 */
describe('an SFTP listing that times out', () => {
  it('drops the connection its unanswered request went over, and the next listing works on a new one', async () => {
    const { Server, utils } = await import('ssh2')
    const keys = utils.generateKeyPairSync('ed25519')
    const blob = Buffer.from(keys.public.split(' ')[1] as string, 'base64')
    const attrs = { mode: 0o100600, uid: 0, gid: 0, size: 1, atime: 0, mtime: 0 }
    const name = 'cairn-backup-20260101T000000Z.tar.zst.age'
    let stuck = true
    let opened = 0
    let closed = 0
    const server = new Server({ hostKeys: [keys.private] }, (client) => {
      opened++
      client.on('error', () => undefined)
      client.on('close', () => closed++)
      client.on('authentication', (context) => context.accept())
      client.on('ready', () =>
        client.on('session', (accept) =>
          accept().on('sftp', (acceptSftp) => {
            const sftp = acceptSftp()
            // Like sftp-server on a stuck disk: once a READDIR hangs, nothing after it is answered.
            let hung = false
            const listed = new Set<string>()
            sftp.on('OPENDIR', (id) => {
              if (!hung) sftp.handle(id, Buffer.from('folder'))
            })
            sftp.on('CLOSE', (id) => {
              if (!hung) sftp.status(id, utils.sftp.STATUS_CODE.OK)
            })
            sftp.on('LSTAT', (id) => {
              if (!hung) sftp.status(id, utils.sftp.STATUS_CODE.NO_SUCH_FILE)
            })
            sftp.on('READDIR', (id, handle) => {
              if (hung) return
              if (stuck) {
                hung = true
                return
              }
              const key = handle.toString('hex')
              if (listed.has(key)) return void sftp.status(id, utils.sftp.STATUS_CODE.EOF)
              listed.add(key)
              sftp.name(id, [{ filename: name, longname: name, attrs }])
            })
          }),
        ),
      )
    })
    const address = await addressOf(server, blob)
    const destination = new SftpDestination({
      ...address,
      listingTimeoutMs: 1000,
    })
    try {
      await expect(within(destination.list(), 'the stuck listing', 15_000)).rejects.toSatisfy(
        (e: unknown) =>
          isCairnError(e, 'DESTINATION_TIMEOUT') &&
          (e as Error).message.startsWith(
            `Backup destination sftp://anyone@127.0.0.1:${address.port}/backups: `,
          ) &&
          /did not end within 1 s/.test((e as Error).message),
      )
      // The unanswered request is not left waiting: its connection is gone.
      await within(
        until(() => closed === 1),
        'the server seeing the stuck connection closed',
        5_000,
      )
      stuck = false
      const listed = await within(destination.list(), 'the next listing', 15_000)
      expect(listed.map((backup) => backup.name)).toEqual([name])
      expect(opened).toBe(2)
    } finally {
      await destination.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})

/**
 * A server that stops answering, at each step, through a relay that stops
 * passing bytes on (and leaves the connection open, as a dead link or a
 * frozen server does). Before the idle deadline (sftp/answer-watch.ts) a
 * WRITE, RENAME or READ left unanswered waited for ever (or, with ssh2's
 * keepalives, for a minute and more, as "connection lost"); now each ends
 * after `timeoutMs` without an answer, naming the destination, with the
 * connection dropped and no complete-looking backup left.
 */
describe('an SFTP server that stops answering', () => {
  let relay: Awaited<ReturnType<typeof startRelay>>
  let seconds = 0
  const at = () => new Date(Date.UTC(2026, 5, 1, 0, 0, seconds++))
  beforeAll(async () => {
    relay = await startRelay(sshd.port)
  })
  afterAll(async () => {
    await relay?.close()
  })
  const stalled = () => settings({ port: relay.port, timeoutMs: 1500 })
  const label = () => `Backup destination sftp://${sshd.user}@127.0.0.1:${relay.port}${sshd.root}: `
  const silent = (e: unknown) =>
    isCairnError(e, 'DESTINATION_TIMEOUT') &&
    (e as Error).message.startsWith(label()) &&
    /stopped answering: nothing came back for 1\.5 s/.test((e as Error).message)
  const noBackupLeft = async (destination: SftpDestination) => {
    await destination.cleanup()
    expect(readdirSync(sshd.root).filter((n) => n.startsWith('cairn-backup-20260601'))).toEqual([])
  }

  it('mid-upload: the backup fails within the deadline, the connection dropped, nothing kept', async () => {
    const destination = new SftpDestination(stalled())
    try {
      const { error, ms } = await backupIntoStall(destination, relay, {
        payloadBytes: 24 << 20,
        stallAfterBytes: 4 << 20,
        withinMs: 15_000,
        createdAt: at(),
      })
      expect(error).toSatisfy(silent)
      expect(ms).toBeLessThan(6_000)
      await within(
        until(() => relay.openConnections() === 0),
        'the stalled connection dropped',
        5_000,
      )
      await noBackupLeft(destination)
    } finally {
      await destination.close()
    }
  })

  it('at the commit (RENAME): fails within the deadline and no backup appears', async () => {
    const store = new SftpStore(stalled())
    stallBefore(store, 'claim', () => relay.stall())
    const destination = new FileStoreDestination(store)
    try {
      const { error, ms } = await backupIntoStall(destination, relay, {
        payloadBytes: 1 << 20,
        withinMs: 15_000,
        createdAt: at(),
      })
      expect(error).toSatisfy(silent)
      expect((error as Error).message).toContain('while trying to name the backup')
      expect(ms).toBeLessThan(6_000)
      await noBackupLeft(new SftpDestination(settings()))
    } finally {
      await destination.close()
    }
  })

  it('mid-restore: the read fails within the deadline', async () => {
    const destination = new SftpDestination(stalled())
    try {
      const payload = randomBytes(16 << 20)
      const name = await writeBackup(destination, at(), payload)
      const stream = await destination.read(name)
      relay.stallAfterDown(2 << 20)
      const started = Date.now()
      await expect(
        within(readAll(stream), 'the stalled restore to fail', 15_000),
      ).rejects.toSatisfy(
        (e: unknown) => silent(e) && /while trying to read the backup/.test((e as Error).message),
      )
      expect(Date.now() - started).toBeLessThan(6_000)
      relay.restore()
      await destination.remove(name)
    } finally {
      relay.restore()
      await destination.close()
    }
  })

  it('at connect: no banner, or a login with no SFTP after it, fails within the deadline', async () => {
    relay.stall()
    const banner = new SftpDestination(stalled())
    try {
      await expect(within(banner.list(), 'the silent connect to fail', 15_000)).rejects.toSatisfy(
        (e: unknown) =>
          isCairnError(e, 'DESTINATION_TIMEOUT') &&
          /did not answer the SSH handshake in time/.test((e as Error).message),
      )
    } finally {
      relay.restore()
      await banner.close()
    }
    // A server that logs in but never starts SFTP (a stuck subsystem): ssh2's readyTimeout is over by then.
    const { Server, utils } = await import('ssh2')
    const keys = utils.generateKeyPairSync('ed25519')
    const blob = Buffer.from(keys.public.split(' ')[1] as string, 'base64')
    let closed = 0
    const server = new Server({ hostKeys: [keys.private] }, (client) => {
      client.on('error', () => undefined)
      client.on('close', () => closed++)
      client.on('authentication', (context) => context.accept())
      client.on('ready', () => client.on('session', () => undefined))
    })
    const address = await addressOf(server, blob)
    const destination = new SftpDestination({
      ...address,
      timeoutMs: 1500,
    })
    try {
      await expect(
        within(destination.list(), 'the login without SFTP to fail', 15_000),
      ).rejects.toSatisfy(
        (e: unknown) =>
          isCairnError(e, 'DESTINATION_TIMEOUT') &&
          (e as Error).message.startsWith(
            `Backup destination sftp://anyone@127.0.0.1:${address.port}/backups: `,
          ) &&
          /did not start SFTP within 1\.5 s/.test((e as Error).message),
      )
      await within(
        until(() => closed === 1),
        'the server seeing the connection dropped',
        5_000,
      )
    } finally {
      await destination.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
