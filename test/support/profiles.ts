import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openMailDb } from '../../main/mail/db/connection'
import { importMail } from '../../main/mail/import/import-mail'
import { openProfile } from '../../main/profile/profile'
import { buildMbox, buildMessage } from './mail-fixtures'
import { tempDir } from './temp'

/**
 * A real profile with mail in it: `messages` messages imported from an mbox,
 * some with attachments (random bytes, so incompressible). Returns the
 * profile folder and its id; the profile is closed again (unlocked).
 */
export async function makeProfile(
  options: { messages?: number; attachmentBytes?: number; dir?: string } = {},
) {
  const dir = options.dir ?? join(tempDir('cairn-profile-'), 'profile')
  const profile = openProfile(dir)
  const db = openMailDb(profile.paths.database)
  const count = options.messages ?? 20
  const messages = Array.from({ length: count }, (_, i) =>
    buildMessage({
      subject: `Message number ${i}`,
      text: `This is message ${i}. ${'Some words to compress. '.repeat(20)}`,
      attachments:
        i % 5 === 0
          ? [
              {
                filename: `file-${i}.bin`,
                contentType: 'application/octet-stream',
                content: randomBytes(options.attachmentBytes ?? 4096),
              },
            ]
          : [],
    }),
  )
  const mbox = join(tempDir(), 'Inbox.mbox')
  writeFileSync(mbox, buildMbox(messages))
  await importMail({ db, attachmentsDir: profile.paths.attachments, paths: [mbox] })
  db.close()
  const id = profile.id
  profile.close()
  return { dir, id }
}
