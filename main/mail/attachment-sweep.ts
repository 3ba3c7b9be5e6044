import { rmSync, statSync } from 'node:fs'
import { dirname, relative } from 'node:path'
import { attachmentPath, isAttachmentName, notARealStoreFolder } from './attachment-store.js'
import { attachmentSweepHeld } from './attachment-sweep-hold.js'
import type { MailDb } from './db/connection.js'
import { perConnection } from './db/per-connection.js'

/**
 * How long a file nothing refers to stays after it was last stored or taken
 * up: the parse workers, an upload or a chat download put a file in the
 * store before the row that refers to it is written, and that row must
 * never find its file swept in between.
 */
export const SWEEP_GRACE_MS = 15 * 60_000

/** How often the running app sweeps. */
export const SWEEP_INTERVAL_MS = 10 * 60_000

/** Candidates looked at per sweep, so one sweep never holds the main thread long. */
const PER_SWEEP = 1_000

export interface SweepResult {
  /** Files removed. */
  removed: number
  /** Candidates still unreferenced but used too recently, left for a later sweep. */
  waiting: number
}

/*
 * A draft holds a file when its attachments JSON names it anywhere, whatever
 * the shape of the entry (older or damaged JSON included): a file kept too
 * long costs space, a file swept too early loses the user's attachment.
 */
const statementsOf = perConnection((db) => ({
  candidates: db.prepare<[number, number], { rowid: number; sha256: string }>(
    'SELECT rowid, sha256 FROM released_attachments WHERE rowid > ? ORDER BY rowid LIMIT ?',
  ),
  held: db.prepare<{ sha: string }, { held: number }>(
    `SELECT EXISTS (SELECT 1 FROM attachments WHERE sha256 = @sha)
         OR EXISTS (SELECT 1 FROM chat_attachments WHERE sha256 = @sha)
         OR EXISTS (SELECT 1 FROM drafts WHERE instr(lower(attachments_json), @sha) > 0) AS held`,
  ),
  done: db.prepare<[number]>('DELETE FROM released_attachments WHERE rowid = ?'),
}))

/**
 * Remove the attachment files that the database's triggers noted as
 * released (migration 0016) and that nothing refers to any more: the
 * attachments of deleted mail and chats leave the profile, and so every
 * later backup. A file stored or taken up again within the grace period
 * waits for a later sweep. Returns the cursor to pass next time (0: start
 * over), so that candidates left waiting never hide the ones behind them.
 */
export function sweepReleasedAttachments(
  db: MailDb,
  attachmentsDir: string,
  options: { now?: number; graceMs?: number; after?: number; log?: (line: string) => void } = {},
): SweepResult & { next: number } {
  const now = options.now ?? Date.now()
  const grace = options.graceMs ?? SWEEP_GRACE_MS
  const s = statementsOf(db)
  // Files stored whose rows are not written yet: nothing is decided until they are.
  if (attachmentSweepHeld()) return { removed: 0, waiting: 0, next: options.after ?? 0 }
  const rows = s.candidates.all(options.after ?? 0, PER_SWEEP)
  const result = { removed: 0, waiting: 0, next: 0 }
  const refused = new Map<string, number>()
  for (const { rowid, sha256 } of rows) {
    // Not a name the store gives (a damaged or hostile database): it names no
    // file of ours, and must neither reach the file system nor stop the sweep.
    if (!isAttachmentName(sha256)) {
      s.done.run(rowid)
      continue
    }
    if (s.held.get({ sha: sha256 })?.held) {
      s.done.run(rowid)
      continue
    }
    // A folder on the way replaced by a link (a damaged or hostile profile): removing through
    // it would remove someone else's file. Nothing of ours is reached that way, so the
    // candidate is dropped, not retried.
    let linked: string | null
    try {
      linked = notARealStoreFolder(attachmentsDir, sha256)
    } catch {
      result.waiting++ // not readable now (permissions): try again later
      continue
    }
    if (linked) {
      refused.set(linked, (refused.get(linked) ?? 0) + 1)
      s.done.run(rowid)
      continue
    }
    const path = attachmentPath(attachmentsDir, sha256)
    let modified: number
    try {
      modified = statSync(path).mtimeMs
    } catch {
      s.done.run(rowid) // already gone
      continue
    }
    if (modified > now - grace) {
      result.waiting++
      continue
    }
    try {
      rmSync(path)
    } catch {
      result.waiting++ // not removable now (permissions, a lock on Windows): try again later
      continue
    }
    s.done.run(rowid)
    result.removed++
  }
  const log = options.log ?? ((line: string) => console.warn(line))
  // Named from the profile folder on (attachments/ab), so no user name or home path is logged.
  const base = dirname(attachmentsDir)
  for (const [folder, files] of refused)
    log(
      `Attachment sweep: ${relative(base, folder)} is not a real folder ` +
        `(a symbolic link?); ${files} file(s) under it left in place.`,
    )
  result.next = rows.length === PER_SWEEP ? (rows.at(-1)?.rowid ?? 0) : 0
  return result
}

/** Sweep at once and then every SWEEP_INTERVAL_MS while the app runs. */
export function startAttachmentSweep(db: MailDb, attachmentsDir: string): { stop(): void } {
  let cursor = 0
  const sweep = () => {
    try {
      cursor = sweepReleasedAttachments(db, attachmentsDir, { after: cursor }).next
    } catch {
      // A closed or busy database: the next sweep tries again.
    }
  }
  const first = setTimeout(sweep, 0)
  const timer = setInterval(sweep, SWEEP_INTERVAL_MS)
  first.unref()
  timer.unref()
  return {
    stop() {
      clearTimeout(first)
      clearInterval(timer)
    },
  }
}
