import { describe, expect, it } from 'vitest'
import { parseDestinationAddress } from '../../main/backup/destination/destination-url'
import { isCairnError } from '../../main/shared/errors'

/**
 * A password typed into an address must never come back in the message that
 * refuses the address (it lands in terminals, logs and bug reports), whatever
 * the reason the address is refused.
 */
describe('a refused address never repeats its password', () => {
  const SECRET = 'hunter2-S3cret'
  for (const bad of [
    `https://ann:${SECRET}@nas.example/dav`, // a common slip: https:// for webdavs://
    `ftp://ann:${SECRET}@host/x`,
    `webdavs://ann:${SECRET}@nas.example/dav/../other`,
    `sftp://ann:${SECRET}@host/a/./b`,
    `webdavs://ann:${SECRET}@nas.example:99999/dav`,
    `s3://AKIAEXAMPLE:${SECRET}@my-bucket/laptop`,
  ]) {
    it(bad.replace(SECRET, '***'), () => {
      let error: unknown
      try {
        parseDestinationAddress(bad)
      } catch (e) {
        error = e
      }
      expect(isCairnError(error, 'DESTINATION_INVALID')).toBe(true)
      expect((error as Error).message).not.toContain(SECRET)
    })
  }
})
