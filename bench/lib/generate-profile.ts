/**
 * The benchmarks' generated profile of about `gb` GB: 40% a mailbox
 * database of mail-like text with its full-text index, 60% incompressible
 * attachments; its backup key (kept by the user) written beside it as
 * key.txt (age) and key.hex. Not an entry of its own (bench/lib/).
 */
import { randomBytes } from 'node:crypto'
import { readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setBackupKey } from '../../main/backup/backup-settings.js'
import { formatKeyAge, formatKeyHex, generateBackupKey } from '../../main/backup/key/backup-key.js'
import { storeAttachment } from '../../main/mail/attachment-store.js'
import { openMailDb } from '../../main/mail/db/connection.js'
import { ensureLocalAccount } from '../../main/mail/store/accounts.js'
import { ensureFolder } from '../../main/mail/store/folders.js'
import { messageWriter } from '../../main/mail/store/messages.js'
import { openProfile } from '../../main/profile/profile.js'
import { rng, sentence, wordSource } from '../support.js'

/**
 * One generated message: four paragraphs of mail-like text from `word`, from
 * one of 500 people, to me. `n` picks the sender; `id` makes it unique.
 */
export function benchMessage(
  word: () => string,
  folderId: number,
  at: { id: string; n: number; date: number; seen: boolean },
): Parameters<ReturnType<typeof messageWriter>>[0] {
  const text = Array.from({ length: 4 }, () => sentence(word, 70)).join('\n\n')
  return {
    folderId,
    messageId: `${at.id}@example.com`,
    contentHash: at.id,
    inReplyTo: '',
    references: [],
    subject: sentence(word, 6),
    from: { name: `Person ${at.n % 500}`, address: `p${at.n % 500}@example.com` },
    to: [{ name: 'Me', address: 'me@example.com' }],
    cc: [],
    date: at.date,
    seen: at.seen,
    flagged: false,
    snippet: text.slice(0, 200),
    text,
    html: null,
    size: text.length,
    attachments: [],
  }
}

/** A profile of about `gb` GB: 40% mailbox database, 60% attachments. */
export function generateProfile(dir: string, gb: number): { id: string; bytes: number } {
  const profile = openProfile(dir)
  const db = openMailDb(profile.paths.database)
  const random = rng(1)
  const word = wordSource(random)
  const insert = messageWriter(db)
  const folder = ensureFolder(db, ensureLocalAccount(db), 'Archive')
  const dbTarget = gb * 0.4 * 1e9
  // ~2.7 KB of text per message plus its share of the full-text index: about 6 KB of database each.
  const messages = Math.round(dbTarget / 6000)
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      insert(
        benchMessage(word, folder, {
          id: `bench-${i}`,
          n: i,
          date: 1.5e12 + i * 60_000,
          seen: true,
        }),
      )
    }
  })
  for (let i = 0; i < messages; i += 5000) batch(i, Math.min(messages, i + 5000))
  db.close()
  let attachmentBytes = 0
  const attachmentTarget = gb * 0.6 * 1e9
  while (attachmentBytes < attachmentTarget) {
    const size = 100_000 + Math.floor(random() * 2_900_000)
    storeAttachment(profile.paths.attachments, randomBytes(size))
    attachmentBytes += size
  }
  const id = profile.id
  const key = generateBackupKey()
  setBackupKey(profile, key, 'user')
  profile.close()
  writeFileSync(join(dir, '..', 'key.txt'), `${formatKeyAge(key.secret)}\n`, { mode: 0o600 })
  writeFileSync(join(dir, '..', 'key.hex'), `${formatKeyHex(key.secret)}\n`, { mode: 0o600 })
  return { id, bytes: duSize(dir) }
}

/** Bytes in the files under `dir`. */
export function duSize(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size
  }
  return total
}
