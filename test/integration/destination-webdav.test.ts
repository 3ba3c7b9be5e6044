import { execFileSync } from 'node:child_process'
import { chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebdavDestination } from '../../main/backup/destination/webdav/webdav-destination'
import type { WebdavSettings } from '../../main/backup/destination/webdav/webdav-store'
import { isCairnError } from '../../main/shared/errors'
import { startApacheDav, type ApacheDav } from '../support/apache-webdav'
import { describeDestinationContract, writeBackup } from '../support/destination-contract'
import { parseDestinationAddress } from '../../main/backup/destination/destination-url'
import { openDestination } from '../../main/backup/destination/open-destination'
import { createTestCa, type TestCa } from '../support/tls'

let apache: ApacheDav
let ca: TestCa
beforeAll(async () => {
  ca = createTestCa()
  apache = await startApacheDav(ca.issue())
})
afterAll(async () => {
  await apache?.stop()
})

const settings = (
  path: 'basic' | 'digest',
  extra: Partial<WebdavSettings> = {},
): WebdavSettings => ({
  url: `${apache.origin}/${path}/`,
  user: apache.user,
  password: apache.password,
  ca: ca.certPem,
  ...extra,
})

/** Files as Apache's DAV folder holds them, written as www-data would not: root, then readable. */
function harness(path: 'basic' | 'digest') {
  return async () => {
    const destination = new WebdavDestination(settings(path))
    const dir = path === 'basic' ? apache.basicRoot : apache.digestRoot
    return {
      destination,
      rawPut: async (name: string, data: Buffer) =>
        writeFileSync(join(dir, name), data, { mode: 0o666 }),
      rawGet: async (name: string) => {
        try {
          return readFileSync(join(dir, name))
        } catch {
          return null
        }
      },
      rawNames: async () => readdirSync(dir),
      rawFolder: async (name: string) => mkdirSync(join(dir, name), { mode: 0o777 }),
      dispose: () => destination.close(),
    }
  }
}

describeDestinationContract('WebDAV over TLS, Basic auth (Apache mod_dav)', harness('basic'))
describeDestinationContract('WebDAV over TLS, Digest auth (Apache mod_dav)', harness('digest'), {
  payloadBytes: 3 << 20,
})

describe('WebDAV logins and certificates', () => {
  it('says when the password is wrong (Basic and Digest)', async () => {
    for (const path of ['basic', 'digest'] as const) {
      const destination = new WebdavDestination(settings(path, { password: 'wrong' }))
      await expect(destination.list()).rejects.toSatisfy((e) => isCairnError(e, 'DESTINATION_AUTH'))
      await destination.close()
    }
  })

  it('logs in when its first requests go out together, before any answer taught it the scheme (Basic and Digest)', async () => {
    for (const path of ['basic', 'digest'] as const) {
      const destination = new WebdavDestination(settings(path))
      const name = 'cairn-backup-19990101T000000Z.tar.zst.age'
      const answers = await Promise.all([
        destination.list(),
        destination.stat(name),
        destination.list(),
        destination.stat(name),
      ])
      const [first, missing, again, missingAgain] = answers
      expect(Array.isArray(first)).toBe(true)
      expect(again).toEqual(first)
      expect([missing, missingAgain]).toEqual([null, null])
      await destination.close()
    }
  })

  it('says when no login was given', async () => {
    const destination = new WebdavDestination(settings('basic', { user: null, password: null }))
    await expect(destination.test()).rejects.toSatisfy(
      (e) => isCairnError(e, 'DESTINATION_AUTH') && /--user/.test((e as Error).message),
    )
    await destination.close()
  })

  it('refuses a server whose certificate the given authority did not sign', async () => {
    const withoutCa = new WebdavDestination(settings('basic', { ca: null }))
    await expect(withoutCa.list()).rejects.toSatisfy((e) => isCairnError(e, 'DESTINATION_TLS'))
    await withoutCa.close()
    const other = createTestCa('Someone in between')
    await apache.restartWith(other.issue())
    try {
      const destination = new WebdavDestination(settings('basic'))
      const error = await destination.list().catch((e: unknown) => e)
      expect(isCairnError(error, 'DESTINATION_TLS')).toBe(true)
      expect((error as Error).message).toMatch(/--ca/)
      await destination.close()
    } finally {
      await apache.restartWith(ca.issue('again'))
    }
  })

  it('refuses to send a password over plain HTTP to another machine', () => {
    expect(
      () => new WebdavDestination({ url: 'http://nas.example/dav/', user: 'u', password: 'p' }),
    ).toThrow(/unencrypted/)
  })

  it('reports what the server offers in its connection test (no Nextcloud chunking on Apache)', async () => {
    const destination = new WebdavDestination(settings('digest'))
    const report = await destination.test()
    expect(report.details.auth).toBe('digest')
    expect(report.details.chunkedUpload).toBe('no (single PUT)')
    expect(report.details.server).toMatch(/Apache/)
    await destination.close()
  })
})

/**
 * A WebDAV address typed with a doubled slash (webdavs://nas//backups/,
 * …/files/ann//Backups): the server merges the slashes and stores the
 * backups, so Cairn must also find them there again. Otherwise `cairn list`
 * shows none, retention never prunes and a restore finds nothing.
 */
describe('a WebDAV address with a doubled slash', () => {
  it('lists the backups it wrote', async () => {
    const folder = join(apache.basicRoot, 'laptop')
    mkdirSync(folder)
    if (process.getuid?.() === 0) {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'www-data']).toString())
      chownSync(folder, id('-u'), id('-g'))
    }
    const address = parseDestinationAddress(`webdavs://127.0.0.1:${apache.port}/basic//laptop/`)
    const destination = openDestination(
      address,
      { user: apache.user, ca: ca.certPem },
      { env: { CAIRN_DESTINATION_PASSWORD: apache.password } },
    )
    try {
      const name = await writeBackup(destination, new Date(), Buffer.from('backup bytes'))
      expect(readdirSync(folder)).toContain(name)
      const listed = await destination.list()
      expect(listed.map((b) => [b.name, b.complete])).toEqual([[name, true]])
    } finally {
      await destination.close()
    }
  })
})
