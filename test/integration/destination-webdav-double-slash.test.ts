import { execFileSync } from 'node:child_process'
import { chownSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseDestinationAddress } from '../../main/backup/destination/destination-url'
import { openDestination } from '../../main/backup/destination/open-destination'
import { startApacheDav, type ApacheDav } from '../support/apache-webdav'
import { writeBackup } from '../support/destination-contract'
import { createTestCa, type TestCa } from '../support/tls'

/**
 * A WebDAV address typed with a doubled slash (webdavs://nas//backups/,
 * …/files/ann//Backups): the server merges the slashes and stores the
 * backups, so Cairn must also find them there again. Otherwise `cairn list`
 * shows none, retention never prunes and a restore finds nothing.
 */
let apache: ApacheDav
let ca: TestCa
beforeAll(async () => {
  ca = createTestCa()
  apache = await startApacheDav(ca.issue())
})
afterAll(async () => {
  await apache?.stop()
})

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
