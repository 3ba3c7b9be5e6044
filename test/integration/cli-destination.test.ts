import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { destinationSecretName } from '../../main/keychain/destination-secrets'
import { osKeychain } from '../../main/keychain/keychain'
import { startApacheDav, type ApacheDav } from '../support/apache-webdav'
import { runCli } from '../support/cli'
import { useRealKeychain } from '../support/keyring'
import { startMoto, type MotoServer } from '../support/moto'
import { startSshd, type SshServer } from '../support/sshd'
import { createTestCa } from '../support/tls'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
let moto: MotoServer
let apache: ApacheDav
let sshd: SshServer
let caFile: string
beforeAll(async () => {
  keyring = await useRealKeychain()
  moto = await startMoto()
  const admin = new S3Client({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'k', secretAccessKey: 's' },
  })
  await admin.send(new CreateBucketCommand({ Bucket: 'cli-bucket' }))
  admin.destroy()
  const ca = createTestCa()
  caFile = ca.cert
  apache = await startApacheDav(ca.issue())
  sshd = await startSshd()
})
afterAll(async () => {
  await Promise.all([moto?.stop(), apache?.stop(), sshd?.stop()])
  keyring?.stop()
})

const env = () => ({ DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS ?? '' })

function profileDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'cairn-cli-dest-')), 'profile')
}

describe('cairn destination', () => {
  it('adds an S3 destination with its secret in the keychain only, lists, tests and removes it', async () => {
    const profile = profileDir()
    const secret = 'S3-SECRET-never-in-settings'
    const added = await runCli(
      [
        'destination',
        'add',
        '--profile',
        profile,
        'offsite',
        's3://cli-bucket/laptop',
        '--endpoint',
        moto.endpoint,
        '--user',
        'AKIDCAIRN',
        '--password-stdin',
      ],
      { input: `${secret}\n`, env: env() },
    )
    expect(added.stderr).toBe('')
    expect(added.code).toBe(0)
    expect(added.stdout).toMatch(/Checked s3:\/\/cli-bucket\/laptop\/: .*wrote a test file/)
    const settingsText = readFileSync(join(profile, 'settings.json'), 'utf8')
    expect(settingsText).not.toContain(secret)
    const settings = JSON.parse(settingsText) as {
      profileId: string
      destinations: Record<string, { kind: string; user: string }>
    }
    expect(settings.destinations.offsite).toMatchObject({ kind: 's3', user: 'AKIDCAIRN' })
    expect(
      osKeychain().get(destinationSecretName(settings.profileId, 'offsite', 'secret-access-key')),
    ).toBe(secret)

    const listed = await runCli(['destination', 'list', '--profile', profile, '--json'], {
      env: env(),
    })
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ name: 'offsite', kind: 's3' }),
    ])
    expect(listed.stdout).not.toContain(secret)

    const tested = await runCli(['destination', 'test', '--profile', profile], { env: env() })
    expect(tested.stdout).toMatch(/^offsite: OK/)
    expect(tested.code).toBe(0)

    const removed = await runCli(['destination', 'remove', '--profile', profile, 'offsite'], {
      env: env(),
    })
    expect(removed.code).toBe(0)
    expect(
      osKeychain().get(destinationSecretName(settings.profileId, 'offsite', 'secret-access-key')),
    ).toBeNull()
    expect(JSON.parse(readFileSync(join(profile, 'settings.json'), 'utf8')).destinations).toEqual(
      {},
    )
  })

  it('adds a WebDAV destination over TLS with --ca, and refuses a wrong password without saving it', async () => {
    const profile = profileDir()
    const url = `webdavs://127.0.0.1:${apache.port}/digest/`
    const wrong = await runCli(
      [
        'destination',
        'add',
        '--profile',
        profile,
        'nas',
        url,
        '--user',
        apache.user,
        '--password-stdin',
        '--ca',
        caFile,
      ],
      { input: 'wrong\n', env: env() },
    )
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(
      /webdavs:\/\/127\.0\.0\.1:\d+\/digest\/: the server did not accept the user name and password/,
    )
    expect(wrong.stderr).not.toContain('wrong')
    const ok = await runCli(
      [
        'destination',
        'add',
        '--profile',
        profile,
        'nas',
        url,
        '--user',
        apache.user,
        '--password-stdin',
        '--ca',
        caFile,
      ],
      { input: `${apache.password}\n`, env: env() },
    )
    expect(ok.code, ok.stderr).toBe(0)
    expect(readFileSync(join(profile, 'settings.json'), 'utf8')).not.toContain(apache.password)
    const tested = await runCli(['destination', 'test', '--profile', profile, 'nas', '--json'], {
      env: env(),
    })
    expect(JSON.parse(tested.stdout)[0]).toMatchObject({ ok: true, details: { auth: 'digest' } })
  })

  it('shows an SFTP server’s fingerprint on first contact and pins it only when accepted', async () => {
    const profile = profileDir()
    const keyFile = join(mkdtempSync(join(tmpdir(), 'cairn-key-')), 'id')
    writeFileSync(keyFile, sshd.userKey, { mode: 0o600 })
    const url = `sftp://${sshd.user}@127.0.0.1:${sshd.port}${sshd.root}`
    const first = await runCli(
      ['destination', 'add', '--profile', profile, 'box', url, '--identity', keyFile],
      { env: env() },
    )
    expect(first.code).toBe(1)
    expect(first.stderr).toContain(sshd.hostKeyFingerprint)
    expect(first.stderr).toMatch(/--host-key/)
    const accepted = await runCli(
      [
        'destination',
        'add',
        '--profile',
        profile,
        'box',
        url,
        '--identity',
        keyFile,
        '--host-key',
        sshd.hostKeyFingerprint,
      ],
      { env: env() },
    )
    expect(accepted.code, accepted.stderr).toBe(0)
    const settings = JSON.parse(readFileSync(join(profile, 'settings.json'), 'utf8')) as {
      destinations: Record<string, { hostKey: string; identityFile: string }>
    }
    expect(settings.destinations.box).toMatchObject({
      hostKey: sshd.hostKeyFingerprint,
      identityFile: keyFile,
    })
    const tested = await runCli(['destination', 'test', '--profile', profile, 'box'], {
      env: env(),
    })
    expect(tested.stdout).toMatch(/^box: OK/)
  })

  it('refuses a password inside a URL, and unknown kinds', async () => {
    const profile = profileDir()
    const withPassword = await runCli(
      ['destination', 'add', '--profile', profile, 'x', 'webdavs://u:secret@nas.example/dav'],
      { env: env() },
    )
    expect(withPassword.code).toBe(1)
    expect(withPassword.stderr).toMatch(/no password in a destination address/)
    const ftp = await runCli(['destination', 'add', '--profile', profile, 'x', 'ftp://host/path'], {
      env: env(),
    })
    expect(ftp.stderr).toMatch(/not a kind of destination/)
  })

  it('tests every destination even when one cannot be opened (its SSH key file is gone)', async () => {
    const profile = profileDir()
    const keyFile = join(mkdtempSync(join(tmpdir(), 'cairn-cli-key-')), 'id_ed25519')
    writeFileSync(keyFile, 'not really a key\n', { mode: 0o600 })
    const folder = mkdtempSync(join(tmpdir(), 'cairn-cli-folder-'))
    const add = (...args: string[]) =>
      runCli(['destination', 'add', '--profile', profile, ...args], { env: env() })
    expect(
      (await add('nas', 'sftp://ann@127.0.0.1:1/backups', '--identity', keyFile, '--no-test')).code,
    ).toBe(0)
    expect((await add('usb', folder)).code).toBe(0)
    rmSync(keyFile)
    const tested = await runCli(['destination', 'test', '--profile', profile, '--json'], {
      env: env(),
    })
    expect(tested.code).toBe(1)
    const results = JSON.parse(tested.stdout) as { name: string; ok: boolean; error?: string }[]
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['nas', false],
      ['usb', true],
    ])
    expect(results[0]?.error).toMatch(/Cannot read the SSH key file .*id_ed25519/)
  })
})
