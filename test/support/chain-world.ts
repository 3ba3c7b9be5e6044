import Database from 'better-sqlite3'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FolderActions } from '../../main/mail/actions/folder-actions'
import { MailActions } from '../../main/mail/actions/message-actions'
import { openMailDb } from '../../main/mail/db/connection'
import { importMail } from '../../main/mail/import/import-mail'
import { runBackup, type BackupRequest } from '../../main/backup/run-backup'
import type { BackupKey } from '../../main/backup/key/backup-key'
import { buildMbox, buildMessage } from './mail-fixtures'
import { tempDir } from './temp'

let imported = 0

/** New mail through the app's importer: `count` messages, every third with an attachment. */
export async function addMail(profileDir: string, count: number): Promise<void> {
  const db = openMailDb(join(profileDir, 'mail.sqlite'))
  try {
    const messages = Array.from({ length: count }, () => {
      const n = imported++
      return buildMessage({
        subject: `Chain message ${n} ${randomBytes(4).toString('hex')}`,
        text: `Body of chain message ${n}. ${'Words that compress well. '.repeat(30)}`,
        attachments:
          n % 3 === 0
            ? [
                {
                  filename: `chain-${n}.bin`,
                  contentType: 'application/octet-stream',
                  content: randomBytes(3000),
                },
              ]
            : [],
      })
    })
    const mbox = join(tempDir(), 'Chain.mbox')
    writeFileSync(mbox, buildMbox(messages))
    await importMail({ db, attachmentsDir: join(profileDir, 'attachments'), paths: [mbox] })
  } finally {
    db.close()
  }
}

async function withActions(
  profileDir: string,
  run: (actions: MailActions, ids: number[]) => Promise<void>,
) {
  const db = openMailDb(join(profileDir, 'mail.sqlite'))
  try {
    const actions = new MailActions(db, null, new FolderActions(db, null))
    const ids = (db.prepare('SELECT id FROM messages ORDER BY id').all() as { id: number }[]).map(
      (r) => r.id,
    )
    await run(actions, ids)
  } finally {
    db.close()
  }
}

/** Star and mark read every `every`-th message (the app's own actions). */
export async function flagSome(profileDir: string, every: number, offset = 0): Promise<void> {
  await withActions(profileDir, async (actions, ids) => {
    const chosen = ids.filter((_, i) => (i + offset) % every === 0)
    if (chosen.length) await actions.setFlags(chosen, { flagged: true, seen: true })
  })
}

/** Delete `count` messages for good (to Trash, then from Trash), as the app does. */
export async function deleteSome(profileDir: string, count: number): Promise<void> {
  await withActions(profileDir, async (actions, ids) => {
    const chosen = ids.slice(0, count)
    if (chosen.length === 0) return
    await actions.delete(chosen)
    const db = openMailDb(join(profileDir, 'mail.sqlite'))
    try {
      const inTrash = (
        db
          .prepare(
            `SELECT m.id FROM messages m JOIN folders f ON f.id = m.folder_id WHERE f.special_use = '\\Trash'`,
          )
          .all() as { id: number }[]
      ).map((r) => r.id)
      const again = new MailActions(db, null, new FolderActions(db, null))
      if (inTrash.length) await again.delete(inTrash)
    } finally {
      db.close()
    }
  })
}

export function vacuum(profileDir: string): void {
  const db = openMailDb(join(profileDir, 'mail.sqlite'))
  try {
    db.exec('VACUUM')
  } finally {
    db.close()
  }
}

/**
 * What a profile holds, to compare a restore with the profile as it was:
 * every message row (subject, flags, folder), the attachment files' hashes,
 * and the settings file.
 */
export function profileState(profileDir: string) {
  const db = new Database(join(profileDir, 'mail.sqlite'), { readonly: true, fileMustExist: true })
  let messages: unknown[]
  let count: number
  try {
    messages = db
      .prepare('SELECT id, subject, seen, flagged, folder_id FROM messages ORDER BY id')
      .all()
    count = (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n
  } finally {
    db.close()
  }
  const attachments: Record<string, string> = {}
  const root = join(profileDir, 'attachments')
  try {
    for (const entry of readdirSync(root, { withFileTypes: true, recursive: true }))
      if (entry.isFile()) {
        const path = join(entry.parentPath, entry.name)
        attachments[path.slice(root.length + 1)] = createHash('sha256')
          .update(readFileSync(path))
          .digest('hex')
      }
  } catch {
    // no attachments folder
  }
  return { count, messages, attachments }
}

/** One backup with the library call the CLI and scheduler use, with a clock of the test's choosing. */
export function backUpAt(
  profile: { dir: string; id: string },
  key: BackupKey,
  destination: BackupRequest['destination'],
  at: Date,
  extra: Partial<BackupRequest> = {},
) {
  return runBackup({
    profileDir: profile.dir,
    destination,
    recipient: key.recipient,
    keyFingerprint: key.fingerprint,
    profileId: profile.id,
    now: () => at,
    ...extra,
  })
}

/** A fresh empty folder for a restore target's parent. */
export function restoreTarget(): string {
  const dir = join(tempDir('cairn-restore-'), 'restored')
  mkdirSync(join(dir, '..'), { recursive: true })
  return dir
}
