import { describe, expect, it } from 'vitest'
import { parseDestinationAddress } from '../../main/backup/destination/destination-url'
import { isCairnError } from '../../main/shared/errors'

describe('--to addresses', () => {
  it('reads every kind', () => {
    expect(parseDestinationAddress('s3://my-bucket')).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: '',
    })
    expect(parseDestinationAddress('s3://my-bucket//laptop/cairn/')).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: 'laptop/cairn/',
    })
    expect(
      parseDestinationAddress('webdavs://nas.local:8443/remote.php/dav/files/ann/Backups'),
    ).toEqual({
      kind: 'webdav',
      url: 'https://nas.local:8443/remote.php/dav/files/ann/Backups/',
      user: null,
    })
    expect(parseDestinationAddress('webdav://127.0.0.1/dav')).toMatchObject({
      url: 'http://127.0.0.1/dav/',
    })
    expect(parseDestinationAddress('sftp://ann@[::1]:2222/srv/My%20Backups')).toEqual({
      kind: 'sftp',
      user: 'ann',
      host: '::1',
      port: 2222,
      path: '/srv/My Backups',
    })
    expect(parseDestinationAddress('Backups', () => false, '/home/ann')).toEqual({
      kind: 'folder',
      path: '/home/ann/Backups',
    })
    expect(parseDestinationAddress('offsite', (n) => n === 'offsite')).toEqual({
      kind: 'name',
      name: 'offsite',
    })
    expect(parseDestinationAddress('./offsite', (n) => n === 'offsite', '/x')).toEqual({
      kind: 'folder',
      path: '/x/offsite',
    })
  })

  it('refuses odd and dangerous addresses with a typed error', () => {
    for (const bad of [
      '',
      's3://UPPER',
      's3://ab',
      's3://bucket/../other',
      's3://bucket/a/./b',
      'sftp://host/path',
      'sftp://ann@host/a/../../etc',
      'webdavs://ann:secret@nas/dav',
      'sftp://ann:pw@host/x',
      'ftp://host/x',
      'webdavs://nas/dav\nX-Injected: 1',
      '/backups/\u0000evil',
    ]) {
      let error: unknown
      try {
        parseDestinationAddress(bad)
      } catch (e) {
        error = e
      }
      expect(isCairnError(error, 'DESTINATION_INVALID'), JSON.stringify(bad)).toBe(true)
    }
  })

  it('refuses a lone "%" in a path or user name with a message saying so (not "URI malformed")', () => {
    for (const bad of [
      'webdavs://nas.local/backups/50%off/',
      'sftp://ann@host/backups/50%/',
      'sftp://an%n@host/backups/',
    ]) {
      let error: unknown
      try {
        parseDestinationAddress(bad)
      } catch (e) {
        error = e
      }
      expect(isCairnError(error, 'DESTINATION_INVALID'), bad).toBe(true)
      expect((error as Error).message).toMatch(/a "%" must be followed by two hex digits/)
    }
    expect(parseDestinationAddress('sftp://ann@host/50%25off/')).toMatchObject({
      path: '/50%off/',
    })
  })

  it('never repeats a password found in a URL in its message', () => {
    expect(() => parseDestinationAddress('webdavs://ann:hunter2@nas/dav')).toThrow(/^(?!.*hunter2)/)
  })
})
