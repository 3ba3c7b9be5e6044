import { describe, expect, it } from 'vitest'
import { openMailDb } from '../../main/mail/db/connection'
import { openServices } from '../../main/services'
import { tempDir } from '../support/temp'

/** Attachments JSON as a damaged disk or another tool can leave it; compose writes none of these. */
const DAMAGED = {
  'a bare file name': JSON.stringify(['a'.repeat(64)]),
  'a string among objects': JSON.stringify([
    { key: 'k', sha256: 'b'.repeat(64), filename: 'f', mimeType: 'x/y', size: 1 },
    'c',
  ]),
  'JSON cut short': '[{"key":"k","sha256":"',
}

describe('a draft whose attachments JSON is damaged', () => {
  it.each(Object.entries(DAMAGED))('can still be discarded (%s)', async (_, json) => {
    const services = openServices(tempDir())
    const db = openMailDb(services.profile.paths.database)
    try {
      const compose = services.mailDesk.compose
      const { id } = await compose.start({ kind: 'new' })
      db.prepare('UPDATE drafts SET attachments_json = ? WHERE id = ?').run(json, id)

      // The drafts list still opens, and shows the draft without what does not parse.
      const listed = compose.list().find((d) => d.id === id)
      expect(listed?.attachments.every((a) => /^[0-9a-f]{64}$/.test(a.sha256))).toBe(true)
      db.prepare('UPDATE drafts SET to_json = ? WHERE id = ?').run('{"cut', id)
      expect(compose.get(id).to).toEqual([])

      await compose.discard(id)
      expect(db.prepare('SELECT count(*) AS n FROM drafts WHERE id = ?').get(id)).toEqual({ n: 0 })
    } finally {
      db.close()
      await services.close()
    }
  })
})
