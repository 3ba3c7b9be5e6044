import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/cli'
import {
  addDestination,
  bigProfile,
  cliEnv,
  describeEngineSuite,
  profileFingerprint,
  until,
  type EngineHarness,
} from '../support/engine-suite'
import { useRealKeychain } from '../support/keyring'
import { mountTmpfs } from '../support/mounts'
import { startSshd, type SshServer } from '../support/sshd'
import { startRelay } from '../support/tcp-relay'
import { tempDir } from '../support/temp'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
let sshd: SshServer
let relay: Awaited<ReturnType<typeof startRelay>>
let keyFile: string
let strangerKey: string
let folders = 0

beforeAll(async () => {
  keyring = await useRealKeychain()
  sshd = await startSshd()
  relay = await startRelay(sshd.port)
  const keys = mkdtempSync(join(tmpdir(), 'cairn-sftp-keys-')) // kept for the whole file
  keyFile = join(keys, 'id_ed25519')
  writeFileSync(keyFile, sshd.userKey, { mode: 0o600 })
  strangerKey = join(keys, 'stranger')
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', strangerKey])
})
afterAll(async () => {
  await relay?.close()
  await sshd?.stop()
  keyring?.stop()
})

/** A folder of its own per test, its name with a space and a non-ASCII letter. */
async function sftpHarness(port = relay.port): Promise<EngineHarness & { folder: string }> {
  const folder = join(sshd.root, `My Backups ü ${++folders}`)
  mkdirSync(folder)
  const url = `sftp://${sshd.user}@127.0.0.1:${port}${folder.split('/').map(encodeURIComponent).join('/')}`
  const pin = ['--host-key', sshd.hostKeyFingerprint]
  return {
    kind: 'sftp',
    relay,
    folder,
    url,
    addOptions: ['--identity', keyFile, ...pin],
    wrongAddOptions: ['--identity', strangerKey, ...pin],
    adHocOptions: ['--identity', keyFile, ...pin],
    adHocEnv: {},
    rawNames: async () => readdirSync(folder),
    rawPut: async (name, data) => writeFileSync(join(folder, name), data),
    unfinishedUploads: async () => 0,
    killServerAfter: async (bytes) => {
      const start = relay.relayed.up
      await until('the upload to be under way', () => relay.relayed.up - start > bytes)
      await sshd.kill()
    },
    reviveServer: () => sshd.restart(),
    leavesAfterKill: 'partial',
  }
}

describeEngineSuite('SFTP (OpenSSH sshd)', () => sftpHarness())

describe('SFTP: the server’s identity and bad input', () => {
  it('no permission to write, a full disk and a slow server: said with what to do, the profile untouched', async () => {
    const { profile } = await bigProfile(3)
    const before = profileFingerprint(profile.dir, 'data')
    // A port where sshd runs every session read-only (internal-sftp -R).
    const readOnly = await sftpHarness(sshd.readOnlyPort)
    expect((await addDestination(readOnly, profile.dir, 'ro', { test: false })).code).toBe(0)
    const denied = await runCli(['backup', '--profile', profile.dir, '--to', 'ro'], {
      env: cliEnv(),
    })
    expect(denied.code).toBe(1)
    expect(denied.stderr).toMatch(
      /Backup destination sftp:\/\/.+: the server does not let root create a file there\. Check the folder's permissions\./,
    )
    expect(readdirSync(readOnly.folder)).toEqual([])

    const small = mountTmpfs({ sizeBytes: 2 << 20 })
    const full = await sftpHarness()
    const fullUrl = `sftp://${sshd.user}@127.0.0.1:${relay.port}${small}`
    expect((await addDestination(full, profile.dir, 'small', { url: fullUrl })).code).toBe(0)
    const overflow = await runCli(['backup', '--profile', profile.dir, '--to', 'small'], {
      env: cliEnv(),
    })
    expect(overflow.code).toBe(1)
    expect(overflow.stderr).toMatch(
      /Backup destination sftp:\/\/.+: the server’s disk is full\. The unfinished backup was removed and older backups are untouched; free space there or prune old backups\./,
    )
    expect(readdirSync(small)).toEqual([])

    const slow = await sftpHarness()
    expect(
      (
        await runCli(
          [
            'destination',
            'add',
            '--profile',
            profile.dir,
            'slow',
            slow.url,
            ...slow.addOptions,
            '--timeout',
            '2',
            '--no-test',
          ],
          { env: cliEnv() },
        )
      ).code,
    ).toBe(0)
    relay.delay(5000)
    try {
      const result = await runCli(['list', '--to', 'slow', '--profile', profile.dir], {
        env: cliEnv(),
      })
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(
        /Backup destination sftp:\/\/.+: the server did not answer the SSH handshake in time\./,
      )
    } finally {
      relay.delay(0)
    }
    expect(profileFingerprint(profile.dir, 'data')).toEqual(before)
  })

  // Last: it gives the server a new host key.
  it('a changed host key is refused before anything is sent, showing both fingerprints', async () => {
    const h = await sftpHarness()
    const { profile } = await bigProfile(1)
    expect((await addDestination(h, profile.dir, 'box')).code).toBe(0)
    const pinned = sshd.hostKeyFingerprint
    await sshd.replaceHostKey()
    const refused = await runCli(['backup', '--profile', profile.dir, '--to', 'box'], {
      env: cliEnv(),
    })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(
      `the server’s host key CHANGED. It was ${pinned}, it is now ${sshd.hostKeyFingerprint}`,
    )
    expect(refused.stderr).toMatch(/Nothing was sent\./)
    expect(readdirSync(h.folder)).toEqual([])
    const restore = await runCli(
      [
        'restore',
        `${h.url}/cairn-backup-20260101T000000Z.tar.zst.age`,
        '--profile',
        join(tempDir(), 'p'),
        '--identity',
        keyFile,
        '--host-key',
        pinned,
      ],
      { env: cliEnv() },
    )
    expect(restore.code).toBe(1)
    expect(restore.stderr).toMatch(/host key CHANGED/)
  })
})
