import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HostKeyError } from '../../main/backup/destination/sftp/host-key'
import { SftpDestination } from '../../main/backup/destination/sftp/sftp-destination'
import type { SftpSettings } from '../../main/backup/destination/sftp/sftp-store'
import { isCairnError } from '../../main/shared/errors'
import { describeDestinationContract } from '../support/destination-contract'
import { startSshd, type SshServer } from '../support/sshd'

let sshd: SshServer
beforeAll(async () => {
  sshd = await startSshd()
})
afterAll(async () => {
  await sshd?.stop()
})

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
