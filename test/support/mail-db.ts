import { join } from 'node:path'
import { afterEach } from 'vitest'
import { openMailDb, type MailDb } from '../../main/mail/db/connection'
import { tempDir } from './temp'

const open: MailDb[] = []

/** A migrated mailbox database in a fresh temporary profile folder, closed after the test. */
export function tempMailDb(): { db: MailDb; dir: string; attachmentsDir: string } {
  const dir = tempDir('cairn-db-')
  const db = openMailDb(join(dir, 'mail.sqlite'))
  open.push(db)
  return { db, dir, attachmentsDir: join(dir, 'attachments') }
}

afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close()
})
