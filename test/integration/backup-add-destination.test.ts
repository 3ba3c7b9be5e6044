/**
 * The app's destination control through the one service contract, against
 * real servers: an SFTP destination (OpenSSH) whose host key is shown and
 * only trusted when the user says so, an S3 destination (moto) whose secret
 * goes to the real keychain and never into settings.json, a failed test
 * that saves nothing, hostile input refused at the boundary, and a
 * destination removed with its secrets.
 */
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeBackupSettings } from '../../main/backup/backup-settings'
import { readDestinations } from '../../main/backup/destination/destination-settings'
import { destinationSecretName } from '../../main/keychain/destination-secrets'
import { osKeychain } from '../../main/keychain/keychain'
import { createServiceContext, type OwnedServiceContext } from '../../main/ipc/context'
import { createRouter } from '../../main/ipc/router'
import type { AddDestinationOutcome, BackupStatus } from '../../main/ipc/services/backup'
import { openServices, type CairnServices } from '../../main/services'
import { setUpBackupKey } from '../support/backup-fixtures'
import { useRealKeychain } from '../support/keyring'
import { startMoto, type MotoServer } from '../support/moto'
import { makeProfile } from '../support/profiles'
import { startSshd, type SshServer } from '../support/sshd'
import { startApacheDav, type ApacheDav } from '../support/apache-webdav'
import { createTestCa } from '../support/tls'

const credentials = { accessKeyId: 'AKIDCAIRNUI', secretAccessKey: 'cairn-ui-secret-do-not-log' }
let keyring: Awaited<ReturnType<typeof useRealKeychain>>
let sshd: SshServer
let moto: MotoServer
let keyFile: string
let apache: ApacheDav

beforeAll(async () => {
  keyring = await useRealKeychain()
  sshd = await startSshd()
  moto = await startMoto()
  apache = await startApacheDav(createTestCa().issue())
  const keys = mkdtempSync(join(tmpdir(), 'cairn-ui-keys-'))
  keyFile = join(keys, 'id_ed25519')
  writeFileSync(keyFile, sshd.userKey, { mode: 0o600 })
})
afterAll(async () => {
  await sshd?.stop()
  await moto?.stop()
  await apache?.stop()
  keyring?.stop()
})

async function app(): Promise<{
  services: CairnServices
  ctx: OwnedServiceContext
  call: (
    method: string,
    input: unknown,
  ) => Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }>
  events: { event: string; payload: unknown }[]
  profileDir: string
  profileId: string
}> {
  const made = await makeProfile({ messages: 4 })
  setUpBackupKey(made.dir)
  const services = openServices(made.dir)
  const ctx = createServiceContext(services, {})
  await services.backups.stop() // runs only when the test asks
  const router = createRouter(ctx, { transport: 'test', log: () => undefined })
  const events: { event: string; payload: unknown }[] = []
  router.subscribe((event, payload) => events.push({ event, payload }))
  return {
    services,
    ctx,
    events,
    profileDir: made.dir,
    profileId: made.id,
    call: (method, input) => router.call(method, input) as never,
  }
}

const daily = { kind: 'daily', time: '03:00' } as const

describe('adding a destination from the app', () => {
  it('SFTP: the unknown host key is shown and nothing saved; trusted, it is pinned and backs up', async () => {
    const { services, ctx, call, events, profileDir } = await app()
    try {
      const folder = join(sshd.root, 'from-the-app')
      mkdirSync(folder)
      const form = {
        kind: 'sftp',
        address: `${sshd.user}@127.0.0.1:${sshd.port}${folder}`,
        password: null,
        identityFile: keyFile,
      }
      const first = (await call('backup.addDestination', {
        name: 'nas',
        form,
        schedule: daily,
        trustHostKey: null,
      })) as { ok: true; value: AddDestinationOutcome }
      expect(first.value).toMatchObject({
        ok: false,
        error: { code: 'DESTINATION_HOST_KEY_UNKNOWN' },
        hostKey: { fingerprint: sshd.hostKeyFingerprint },
      })
      expect(readDestinations(services.profile).nas).toBeUndefined()

      const trusted = (await call('backup.addDestination', {
        name: 'nas',
        form,
        schedule: daily,
        trustHostKey: sshd.hostKeyFingerprint,
      })) as { ok: true; value: AddDestinationOutcome }
      expect(trusted.value).toMatchObject({ ok: true, id: 'named:nas' })
      expect(readDestinations(services.profile).nas).toMatchObject({
        kind: 'sftp',
        hostKey: sshd.hostKeyFingerprint,
        identityFile: keyFile,
        schedule: daily,
      })
      expect(events.some((e) => e.event === 'backup.changed')).toBe(true)

      const status = (await call('backup.status', {})) as { value: BackupStatus }
      const nas = status.value.destinations.find((d) => d.id === 'named:nas')
      expect(nas).toMatchObject({ kind: 'sftp', lastSuccessAt: null, lastError: null })
      expect(nas?.nextRunAt).toEqual(expect.any(String))
      expect(await call('backup.testConnection', { destination: 'named:nas' })).toMatchObject({
        value: { ok: true },
      })

      await call('backup.runNow', { destination: 'named:nas' })
      for (let i = 0; i < 600 && !events.some((e) => e.event === 'backup.finished'); i++)
        await new Promise((resolve) => setTimeout(resolve, 100))
      expect(events.find((e) => e.event === 'backup.finished')?.payload).toMatchObject({
        ok: true,
        destination: 'named:nas',
      })
      expect(readdirSync(folder).filter((f) => f.endsWith('.tar.zst.age'))).toHaveLength(1)
      const after = (await call('backup.status', {})) as { value: BackupStatus }
      expect(after.value.destinations.find((d) => d.id === 'named:nas')?.lastSuccessAt).toEqual(
        expect.any(String),
      )
      // A second destination under the same name is refused, not overwritten.
      expect(
        await call('backup.addDestination', {
          name: 'nas',
          form,
          schedule: daily,
          trustHostKey: null,
        }),
      ).toMatchObject({ value: { ok: false, error: { code: 'DESTINATION_EXISTS' } } })
      expect(readFileSync(join(profileDir, 'settings.json'), 'utf8')).not.toContain('PRIVATE KEY')
    } finally {
      ctx.close()
      await services.close()
    }
  })

  it('S3: the secret goes to the keychain only; a failed test saves nothing; remove forgets the secret', async () => {
    const { services, ctx, call, profileDir, profileId } = await app()
    const admin = new S3Client({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials,
    })
    try {
      await admin.send(new CreateBucketCommand({ Bucket: 'cairn-from-the-app' }))
      const form = {
        kind: 's3',
        bucket: 'cairn-from-the-app',
        prefix: 'laptop',
        endpoint: moto.endpoint,
        region: 'us-east-1',
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
      }
      const missing = (await call('backup.addDestination', {
        name: 'cloud',
        form: { ...form, bucket: 'no-such-bucket-app' },
        schedule: daily,
        trustHostKey: null,
      })) as { value: AddDestinationOutcome }
      expect(missing.value).toMatchObject({ ok: false, error: { code: 'DESTINATION_MISSING' } })
      expect(missing.value.ok === false && missing.value.error.message).toMatch(
        /no-such-bucket-app/,
      )
      expect(readDestinations(services.profile).cloud).toBeUndefined()
      expect(
        osKeychain().get(destinationSecretName(profileId, 'cloud', 'secret-access-key')),
      ).toBeNull()

      const added = (await call('backup.addDestination', {
        name: 'cloud',
        form,
        schedule: { kind: 'interval', hours: 12 },
        trustHostKey: null,
      })) as { value: AddDestinationOutcome }
      expect(added.value).toMatchObject({ ok: true, id: 'named:cloud' })
      expect(osKeychain().get(destinationSecretName(profileId, 'cloud', 'secret-access-key'))).toBe(
        credentials.secretAccessKey,
      )
      const settingsText = readFileSync(join(profileDir, 'settings.json'), 'utf8')
      expect(settingsText).toContain('s3://cairn-from-the-app/laptop')
      expect(settingsText).not.toContain(credentials.secretAccessKey)
      // The test wrote nothing that stays.
      const listed = await admin.send(new ListObjectsV2Command({ Bucket: 'cairn-from-the-app' }))
      expect((listed.Contents ?? []).filter((o) => o.Key?.endsWith('.age'))).toEqual([])

      // While the profile's own backups go there, it is not removed.
      writeBackupSettings(
        services.profile,
        (current) => current && { ...current, destination: 'cloud' },
      )
      expect(await call('backup.removeDestination', { name: 'cloud' })).toMatchObject({
        ok: false,
        error: { code: 'DESTINATION_IN_USE' },
      })
      writeBackupSettings(
        services.profile,
        (current) => current && { ...current, destination: null },
      )
      expect(await call('backup.removeDestination', { name: 'cloud' })).toEqual({
        ok: true,
        value: null,
      })
      expect(readDestinations(services.profile).cloud).toBeUndefined()
      expect(
        osKeychain().get(destinationSecretName(profileId, 'cloud', 'secret-access-key')),
      ).toBeNull()
      expect(await call('backup.removeDestination', { name: 'cloud' })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      })
    } finally {
      admin.destroy()
      ctx.close()
      await services.close()
    }
  })

  it('WebDAV: a server whose certificate this computer does not trust is refused in words; nothing is kept', async () => {
    const { services, ctx, call, profileId } = await app()
    try {
      const answer = (await call('backup.addDestination', {
        name: 'dav',
        form: {
          kind: 'webdav',
          url: `${apache.origin}/basic/`,
          user: apache.user,
          password: apache.password,
        },
        schedule: daily,
        trustHostKey: null,
      })) as { value: AddDestinationOutcome }
      expect(answer.value).toMatchObject({ ok: false, error: { code: 'DESTINATION_TLS' } })
      expect(answer.value.ok === false && answer.value.error.message).toMatch(/certificate/i)
      expect(readDestinations(services.profile).dav).toBeUndefined()
      expect(osKeychain().get(destinationSecretName(profileId, 'dav', 'password'))).toBeNull()
    } finally {
      ctx.close()
      await services.close()
    }
  })

  it('refuses hostile input at the boundary before anything runs', async () => {
    const { services, ctx, call } = await app()
    try {
      const base = { name: 'x', schedule: daily, trustHostKey: null }
      const s3 = {
        kind: 's3',
        bucket: 'good-bucket',
        prefix: '',
        endpoint: null,
        region: null,
        accessKeyId: null,
        secretAccessKey: null,
      }
      for (const input of [
        { ...base, name: '../../etc', form: { kind: 'folder', path: '/tmp/x' } },
        { ...base, form: { ...s3, bucket: 'Bad_Bucket' } },
        { ...base, form: { ...s3, endpoint: 'http://user:pw@evil.example' } },
        { ...base, form: { ...s3, prefix: 'a\nINFO forged log line' } },
        { ...base, form: { ...s3, secretAccessKey: 'x'.repeat(5000) } },
        {
          ...base,
          form: { kind: 'webdav', url: 'file:///etc/passwd', user: null, password: null },
        },
        {
          ...base,
          form: {
            kind: 'sftp',
            address: 'host-without-user/path',
            password: null,
            identityFile: null,
          },
        },
        {
          ...base,
          form: { kind: 'sftp', address: 'u@h/p', password: null, identityFile: 'relative/key' },
        },
        { ...base, form: { kind: 'ftp', url: 'ftp://x/' } },
        { ...base, form: { kind: 'folder', path: '/tmp/x', extra: 1 } },
        { ...base, trustHostKey: 'yes' },
        {
          ...base,
          form: { kind: 'folder', path: '/tmp/x' },
          schedule: { kind: 'interval', hours: 0 },
        },
      ])
        expect(await call('backup.addDestination', input)).toMatchObject({
          ok: false,
          error: { code: 'INVALID_ARGUMENT' },
        })
      expect(readDestinations(services.profile)).toEqual({})
      // A relative folder passes the schema's string check but not the destination's.
      expect(
        await call('backup.addDestination', {
          ...base,
          form: { kind: 'folder', path: 'relative' },
        }),
      ).toMatchObject({ ok: true, value: { ok: false, error: { code: 'INVALID_ARGUMENT' } } })
    } finally {
      ctx.close()
      await services.close()
    }
  })
})
