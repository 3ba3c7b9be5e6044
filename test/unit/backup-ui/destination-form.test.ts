import { describe, expect, it } from 'vitest'
import type { BackupStatus } from '../../../main/ipc/contract'
import {
  addInputFrom,
  addOutcomeView,
  connectionVerdict,
  destinationRows,
  EMPTY_FIELDS,
} from '../../../renderer/backup/destination-form'

const fields = (extra: Partial<typeof EMPTY_FIELDS>) => ({ ...EMPTY_FIELDS, name: 'nas', ...extra })

describe('the destination form', () => {
  it('builds the service input for each kind, secrets only in their own field', () => {
    expect(
      addInputFrom(
        's3',
        fields({
          bucket: 'my-bucket',
          prefix: '/laptop/',
          endpoint: ' https://s3.example.com ',
          accessKeyId: 'AKID',
          secretAccessKey: ' s3cret ',
          hours: '12',
        }),
      ).input,
    ).toEqual({
      name: 'nas',
      form: {
        kind: 's3',
        bucket: 'my-bucket',
        prefix: 'laptop/',
        endpoint: 'https://s3.example.com',
        region: null,
        accessKeyId: 'AKID',
        secretAccessKey: ' s3cret ', // a secret is kept exactly as typed
      },
      schedule: { kind: 'interval', hours: 12 },
      trustHostKey: null,
    })
    expect(
      addInputFrom(
        'webdav',
        fields({ url: 'https://dav.example/Backups', user: 'me', password: 'pw' }),
      ).input?.form,
    ).toEqual({ kind: 'webdav', url: 'https://dav.example/Backups', user: 'me', password: 'pw' })
    const fp = `SHA256:${'A'.repeat(43)}`
    expect(
      addInputFrom(
        'sftp',
        fields({ address: 'sftp://me@nas:2222/backups', identityFile: '/home/me/.ssh/id' }),
        fp,
      ).input,
    ).toMatchObject({
      form: {
        kind: 'sftp',
        address: 'me@nas:2222/backups',
        password: null,
        identityFile: '/home/me/.ssh/id',
      },
      trustHostKey: fp,
    })
  })

  it('says the first thing to fix in words, before any call', () => {
    const problem = (kind: 's3' | 'webdav' | 'sftp', extra: Partial<typeof EMPTY_FIELDS>) =>
      addInputFrom(kind, fields(extra)).problem
    expect(problem('s3', { name: '../x', bucket: 'ok-bucket' })).toMatch(/short name/)
    expect(problem('s3', { bucket: 'ok-bucket', hours: '0' })).toMatch(/1 to 168 hours/)
    expect(problem('s3', { bucket: 'Bad_Bucket' })).toMatch(/bucket’s name/)
    expect(problem('s3', { bucket: 'ok-bucket', accessKeyId: 'AKID' })).toMatch(
      /both the access key ID and its secret/,
    )
    expect(problem('s3', { bucket: 'ok-bucket' })).toBeNull()
    expect(problem('webdav', { url: 'ftp://x' })).toMatch(/https:\/\//)
    expect(problem('sftp', { address: 'nas/backups', password: 'x' })).toMatch(
      /user@host:port\/folder/,
    )
    expect(problem('sftp', { address: 'me@nas/b', identityFile: 'id_rsa' })).toMatch(
      /full path of the key file/,
    )
    expect(problem('sftp', { address: 'me@nas/b' })).toMatch(/password, or the key file/)
  })

  it('puts verdicts and a host key to trust into words', () => {
    expect(
      addOutcomeView({ ok: true, id: 'named:nas', checks: ['listed', 'wrote a test file'] }),
    ).toEqual({
      ok: true,
      text: 'Connection works (listed, wrote a test file). The destination is added.',
      hostKey: null,
    })
    const hostKey = { fingerprint: `SHA256:${'B'.repeat(43)}`, algorithm: 'ssh-ed25519' }
    expect(
      addOutcomeView({
        ok: false,
        error: { code: 'DESTINATION_HOST_KEY_UNKNOWN', message: 'not known yet' },
        hostKey,
      }),
    ).toEqual({ ok: false, text: 'not known yet', hostKey })
    expect(
      connectionVerdict({ ok: false, error: { message: 'the bucket does not exist' } }),
    ).toEqual({
      ok: false,
      text: 'Connection failed: the bucket does not exist',
    })
    expect(connectionVerdict({ ok: true, checks: ['listed'] }).text).toBe(
      'Connection works: listed.',
    )
  })

  it('shows each destination’s last success, last error and next run', () => {
    const now = new Date('2026-11-27T12:00:00Z')
    const base = {
      schedule: null,
      retention: { keepLast: 3, daily: 7, weekly: 4, monthly: 12 },
      progress: null,
      lastAttemptAt: null,
      consecutiveFailures: 0,
    }
    const status = {
      running: false,
      destinations: [
        {
          ...base,
          id: 'profile',
          name: null,
          kind: 'folder',
          location: '/b',
          running: false,
          nextRunAt: null,
          lastSuccessAt: null,
          lastError: null,
        },
        {
          ...base,
          id: 'named:nas',
          name: 'nas',
          kind: 'sftp',
          location: 'sftp://me@nas/b',
          running: false,
          nextRunAt: '2026-11-27T14:00:00Z',
          lastSuccessAt: '2026-11-27T10:00:00Z',
          lastError: null,
        },
        {
          ...base,
          id: 'named:cloud',
          name: 'cloud',
          kind: 's3',
          location: 's3://x',
          running: false,
          nextRunAt: null,
          lastSuccessAt: null,
          lastError: 'the bucket does not exist',
        },
      ],
    } as unknown as BackupStatus
    const rows = destinationRows(status, now)
    expect(rows.map((r) => [r.title, r.kindLabel, r.state, r.removable])).toEqual([
      ['This profile’s backup destination', 'Folder', 'never', false],
      ['nas', 'SFTP', 'ok', true],
      ['cloud', 'S3', 'failing', true],
    ])
    expect(rows[0]).toMatchObject({
      lastSuccess: 'none yet',
      next: 'when you ask (no schedule)',
      lastError: null,
    })
    expect(rows[1]?.lastSuccess).toMatch(/2 hours ago/)
    expect(rows[1]?.next).toMatch(/in 2 hours/)
    expect(rows[2]?.lastError).toBe('the bucket does not exist')
  })
})
