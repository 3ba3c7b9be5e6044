/**
 * Incremental backups (issue 14) beside restic, for bench:backup: on one
 * generated profile, after a full backup (Cairn) and a first snapshot
 * (restic), each change then one backup by each: Cairn's wall time and the
 * bytes of the link it wrote, restic's wall time and its repository's
 * growth. Then a 30-link chain restored against a full backup restored.
 * Not an entry of its own (bench/lib/).
 */
import { execFileSync, spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { createHash, randomBytes } from 'node:crypto'
import { compareBackupNames } from '../../main/backup/destination/names.js'
import { runBackup } from '../../main/backup/run-backup.js'
import { readBackupSettings } from '../../main/backup/backup-settings.js'
import { storeAttachment } from '../../main/mail/attachment-store.js'
import { openMailDb } from '../../main/mail/db/connection.js'
import { ensureLocalAccount } from '../../main/mail/store/accounts.js'
import { ensureFolder } from '../../main/mail/store/folders.js'
import { messageWriter } from '../../main/mail/store/messages.js'
import { openProfile } from '../../main/profile/profile.js'
import { benchMessage, duSize, generateProfile } from './generate-profile.js'
import { rng, wordSource } from '../support.js'

export interface IncrementalRow {
  change: string
  cairnSeconds: number
  cairnBytes: number
  /** Of the mailbox's changed 4 KiB blocks, the share that belong to the full-text indexes. */
  ftsShare: number
  resticSeconds: number
  resticBytes: number
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(command, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} failed (${code}): ${stderr}`))
      resolve(Number(process.hrtime.bigint() - started) / 1e9)
    })
  })
}

let added = 0
function addMessages(profileDir: string, count: number): void {
  const db = openMailDb(join(profileDir, 'mail.sqlite'))
  const random = rng(1000 + added)
  const word = wordSource(random)
  const insert = messageWriter(db)
  const folder = ensureFolder(db, ensureLocalAccount(db), 'Inbox')
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const n = added++
      insert(
        benchMessage(word, folder, { id: `new-${n}`, n, date: 1.9e12 + n * 60_000, seen: false }),
      )
    }
  })()
  db.close()
  // Attachments in the generated profile's proportion (60% of its bytes, ~1.5 MB each).
  for (let i = 0; i < Math.max(1, Math.round(count / 250)); i++)
    storeAttachment(join(profileDir, 'attachments'), randomBytes(1_500_000))
}

function sql(profileDir: string, statement: string, share: number): void {
  const db = new Database(join(profileDir, 'mail.sqlite'))
  const total = (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n
  db.prepare(statement).run(Math.max(1, Math.round(total * share)))
  db.close()
}

/** The full-text indexes' tables (their shadow tables and those tables' own indexes). */
const FTS_TABLE = /^(sqlite_autoindex_)?(messages_fts|message_terms|chat_messages_fts)_/
const BLOCK = 4096

/** A short hash of each 4 KiB block of the mailbox: which blocks a change rewrote. */
function blockHashes(profileDir: string): string[] {
  const bytes = readFileSync(join(profileDir, 'mail.sqlite'))
  const hashes: string[] = []
  for (let at = 0; at < bytes.length; at += BLOCK)
    hashes.push(
      createHash('sha1')
        .update(bytes.subarray(at, at + BLOCK))
        .digest('base64'),
    )
  return hashes
}

/** Of the blocks that differ between two block lists, the share owned by full-text index tables. */
function ftsShareOfChange(profileDir: string, before: string[], after: string[]): number {
  const changed = after.flatMap((hash, block) => (before[block] === hash ? [] : [block + 1]))
  if (changed.length === 0) return 0
  const db = new Database(join(profileDir, 'mail.sqlite'), { readonly: true })
  if ((db.pragma('page_size', { simple: true }) as number) !== BLOCK) throw new Error('page size')
  const owner = new Map<number, string>()
  for (const row of db.prepare('SELECT name, pageno FROM dbstat').iterate() as Iterable<{
    name: string
    pageno: number
  }>)
    owner.set(row.pageno, row.name)
  db.close()
  return changed.filter((page) => FTS_TABLE.test(owner.get(page) ?? '')).length / changed.length
}

/** How long rebuilding the main full-text index takes (what a restore would pay if backups left it out). */
function ftsRebuildSeconds(profileDir: string, scratch: string): number {
  const copy = join(scratch, 'fts-rebuild.sqlite')
  copyFileSync(join(profileDir, 'mail.sqlite'), copy)
  const db = new Database(copy)
  const started = process.hrtime.bigint()
  db.exec(`INSERT INTO messages_fts (messages_fts) VALUES ('delete-all')`)
  db.exec(`INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')`)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  db.close()
  rmSync(copy, { force: true })
  return seconds
}

const newestLink = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.age'))
    .sort(compareBackupNames)
    .at(-1) as string

export async function measureIncremental(
  work: string,
  gb: number,
  cli: string,
): Promise<{
  rows: IncrementalRow[]
  chainRestore: number
  fullRestore: number
  bytes: number
  ftsRebuild: number
}> {
  const base = join(work, 'incremental')
  const profileDir = join(base, 'profile')
  mkdirSync(base, { recursive: true })
  console.log(`Generating a ${gb} GB profile (incremental)…`)
  const { bytes } = generateProfile(profileDir, gb)
  const folder = join(base, 'cairn')
  const repo = join(base, 'restic')
  mkdirSync(folder)
  const restic = { RESTIC_PASSWORD: 'bench', RESTIC_REPOSITORY: repo }
  execFileSync('restic', ['init', '-q'], { env: { ...process.env, ...restic } })
  const profile = openProfile(profileDir)
  const settings = readBackupSettings(profile)
  const id = profile.id
  profile.close()
  if (!settings) throw new Error('no backup settings')
  const backUp = (policy?: { maxLinks: number; maxAgeDays: number; maxChangedShare: number }) =>
    runBackup({
      profileDir,
      destination: folder,
      recipient: settings.recipient,
      keyFingerprint: settings.fingerprint,
      profileId: id,
      ...(policy ? { chainPolicy: policy } : {}),
    })
  await backUp()
  await run('restic', ['backup', '-q', profileDir], restic)
  const changes: [string, () => void][] = [
    ['unchanged', () => undefined],
    [
      '0.1% new mail + 0.1% flags',
      () => {
        addMessages(profileDir, Math.round((gb * 0.4 * 1e9) / 6000 / 1000))
        sql(
          profileDir,
          'UPDATE messages SET flagged = 1 WHERE id IN (SELECT id FROM messages ORDER BY random() LIMIT ?)',
          0.001,
        )
      },
    ],
    ['1% new mail', () => addMessages(profileDir, Math.round((gb * 0.4 * 1e9) / 6000 / 100))],
    [
      '1% deleted',
      () =>
        sql(
          profileDir,
          'DELETE FROM messages WHERE id IN (SELECT id FROM messages ORDER BY random() LIMIT ?)',
          0.01,
        ),
    ],
  ]
  const rows: IncrementalRow[] = []
  let blocks = blockHashes(profileDir)
  for (const [change, apply] of changes) {
    apply()
    const started = process.hrtime.bigint()
    const result = await backUp()
    const cairnSeconds = Number(process.hrtime.bigint() - started) / 1e9
    const after = blockHashes(profileDir)
    const ftsShare = ftsShareOfChange(profileDir, blocks, after)
    blocks = after
    if (result.kind !== 'incremental')
      console.log(`  (${change}: Cairn made a full backup: ${result.fullReason})`)
    const before = duSize(repo)
    const resticSeconds = await run('restic', ['backup', '-q', profileDir], restic)
    rows.push({
      change,
      cairnSeconds,
      cairnBytes: result.size,
      ftsShare,
      resticSeconds,
      resticBytes: duSize(repo) - before,
    })
  }

  const ftsRebuild = ftsRebuildSeconds(profileDir, base)

  // A 30-link chain (small changes between links) against one full backup, both through cairn restore.
  const chainFolder = join(base, 'chain')
  mkdirSync(chainFolder)
  const policy = { maxLinks: 100, maxAgeDays: 365, maxChangedShare: 1 }
  const chainUp = () =>
    runBackup({
      profileDir,
      destination: chainFolder,
      recipient: settings.recipient,
      keyFingerprint: settings.fingerprint,
      profileId: id,
      chainPolicy: policy,
      full: false,
    })
  await runBackup({
    profileDir,
    destination: chainFolder,
    recipient: settings.recipient,
    keyFingerprint: settings.fingerprint,
    profileId: id,
    full: true,
  })
  for (let i = 1; i < 30; i++) {
    addMessages(profileDir, Math.max(1, Math.round((gb * 0.4 * 1e9) / 6000 / 3000)))
    await chainUp()
  }
  const last = newestLink(chainFolder)
  const fullFolder = join(base, 'full')
  mkdirSync(fullFolder)
  await runBackup({
    profileDir,
    destination: fullFolder,
    recipient: settings.recipient,
    keyFingerprint: settings.fingerprint,
    profileId: id,
    full: true,
  })
  const restore = async (file: string) => {
    const target = join(base, `restored-${Math.random().toString(36).slice(2)}`)
    const seconds = await run(process.execPath, [
      cli,
      'restore',
      file,
      '--profile',
      target,
      '--key-file',
      join(base, 'key.hex'),
      '--force',
    ])
    rmSync(target, { recursive: true, force: true })
    return seconds
  }
  const chainRestore = Math.min(
    await restore(join(chainFolder, last)),
    await restore(join(chainFolder, last)),
  )
  const fullRestore = Math.min(
    await restore(join(fullFolder, newestLink(fullFolder))),
    await restore(join(fullFolder, newestLink(fullFolder))),
  )
  rmSync(base, { recursive: true, force: true })
  return { rows, chainRestore, fullRestore, bytes, ftsRebuild }
}
