import { randomBytes } from 'node:crypto'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { attachmentPath } from '../../main/mail/attachment-store'
import { importMail } from '../../main/mail/import/import-mail'
import { listFolders } from '../../main/mail/store/folders'
import { isCairnError } from '../../main/shared/errors'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { tempMailDb } from '../support/mail-db'
import { tempDir } from '../support/temp'

function writeFile(dir: string, name: string, content: string | Buffer): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

describe('importing mail', () => {
  it('imports an mbox into a folder named after it, with bodies, flags and attachments', async () => {
    const { db, attachmentsDir } = tempMailDb()
    const pdf = randomBytes(3000)
    const mbox = writeFile(
      tempDir(),
      'Inbox.mbox',
      buildMbox([
        buildMessage({
          subject: 'Plain one',
          text: 'first body\nFrom here it is body\n',
          headers: { Status: 'O' },
        }),
        buildMessage({
          subject: 'With HTML',
          html: '<p>Hello <b>there</b></p>',
          headers: { 'X-Mozilla-Status': '0005' },
        }),
        buildMessage({
          subject: 'With attachment',
          text: 'see attached',
          attachments: [{ filename: 'report.pdf', contentType: 'application/pdf', content: pdf }],
        }),
      ]),
    )
    const report = await importMail({ db, attachmentsDir, paths: [mbox] })
    expect(report).toMatchObject({
      imported: 3,
      duplicates: 0,
      skipped: [],
      folders: ['Inbox'],
      cancelled: false,
    })

    const rows = db
      .prepare<
        [],
        {
          subject: string
          body_text: string
          body_html: string | null
          seen: number
          flagged: number
          has_attachments: number
        }
      >(
        'SELECT subject, body_text, body_html, seen, flagged, has_attachments FROM messages ORDER BY id',
      )
      .all()
    expect(rows[0]).toMatchObject({ subject: 'Plain one', seen: 0, flagged: 0 })
    expect(rows[0]?.body_text).toContain('From here it is body')
    expect(rows[1]).toMatchObject({ subject: 'With HTML', seen: 1, flagged: 1 })
    expect(rows[1]?.body_html).toContain('<b>there</b>')
    expect(rows[1]?.body_text).toBe('Hello there')
    expect(rows[2]).toMatchObject({ has_attachments: 1, seen: 1 })
    const attachment = db
      .prepare<[], { sha256: string; size: number; filename: string }>(
        'SELECT sha256, size, filename FROM attachments',
      )
      .get()
    expect(attachment).toMatchObject({ size: 3000, filename: 'report.pdf' })
    expect(existsSync(attachmentPath(attachmentsDir, attachment?.sha256 as string))).toBe(true)
    expect(listFolders(db)).toMatchObject([{ name: 'Inbox', total: 3, unread: 1 }])
  })

  it('adds nothing when the same mbox is imported twice', async () => {
    const { db, attachmentsDir } = tempMailDb()
    const mbox = writeFile(
      tempDir(),
      'Archive',
      buildMbox([buildMessage({ subject: 'a' }), buildMessage({ subject: 'b' })]),
    )
    expect((await importMail({ db, attachmentsDir, paths: [mbox] })).imported).toBe(2)
    const again = await importMail({ db, attachmentsDir, paths: [mbox] })
    expect(again).toMatchObject({ imported: 0, duplicates: 2 })
    expect(listFolders(db)).toMatchObject([{ name: 'Archive', total: 2 }])
  })

  it('stores 150 messages, a copy of one among them, as many statements would: counts, threads, search', async () => {
    const { db, attachmentsDir } = tempMailDb()
    const messages = Array.from({ length: 150 }, (_, i) =>
      buildMessage({
        subject: i === 0 ? 'Root' : `Re: Root ${i}`,
        messageId: `m${i}@example.org`,
        inReplyTo: i === 0 ? undefined : 'm0@example.org',
        text: `word${i} shared`,
      }),
    )
    // The same message again inside the first group of rows, and one past it.
    messages.splice(10, 0, messages[3] as string)
    messages.splice(100, 0, messages[5] as string)
    const mbox = writeFile(tempDir(), 'Inbox', buildMbox(messages))
    const report = await importMail({ db, attachmentsDir, paths: [mbox] })
    expect(report).toMatchObject({ imported: 150, duplicates: 2 })
    expect(listFolders(db)).toMatchObject([{ name: 'Inbox', total: 150 }])
    // One conversation: every reply found its root, in either statement.
    expect(db.prepare('SELECT count(DISTINCT thread_id) AS n FROM messages').get()).toEqual({
      n: 1,
    })
    for (const i of [1, 63, 64, 149])
      expect(
        db
          .prepare(`SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH ?`)
          .get(`word${i}`),
      ).toEqual({ n: 1 })
    // FTS5's own check of the index against the messages (it throws on a mismatch).
    expect(() =>
      db
        .prepare(`INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)`)
        .run(),
    ).not.toThrow()
  })

  it('skips and reports malformed messages and imports the rest', async () => {
    const { db, attachmentsDir } = tempMailDb()
    const brokenMime =
      'From: a@example.com\nSubject: broken MIME\nContent-Type: multipart/mixed; boundary="never-closed"\n\n--never-closed\nContent-Type: text/plain\n\nsurvives anyway\n'
    const mbox = writeFile(
      tempDir(),
      'Mixed.mbox',
      buildMbox([
        buildMessage({ subject: 'good one' }),
        '\u0000\u0001binary garbage, not a mail header\n\nreally not\n',
        brokenMime,
        buildMessage({ subject: 'good two' }),
      ]),
    )
    const report = await importMail({ db, attachmentsDir, paths: [mbox] })
    expect(report.imported).toBe(3)
    expect(report.skipped).toHaveLength(1)
    expect(report.skipped[0]).toMatchObject({
      source: mbox,
      position: expect.stringMatching(/^message 2 \(byte \d+\)$/),
    })
    expect(report.skipped[0]?.reason).toMatch(/does not start with a mail header/)
    const broken = db
      .prepare<[], { body_text: string }>(
        `SELECT body_text FROM messages WHERE subject = 'broken MIME'`,
      )
      .get()
    expect(broken?.body_text).toContain('survives anyway')
  })

  it('stores a 50 MB attachment once, however many messages carry it', async () => {
    const { db, attachmentsDir } = tempMailDb()
    const big = randomBytes(50 * 1024 * 1024)
    const dir = tempDir()
    const files = [1, 2].map((n) =>
      writeFile(
        dir,
        `big-${n}.eml`,
        buildMessage({
          subject: `big ${n}`,
          attachments: [
            { filename: 'video.bin', contentType: 'application/octet-stream', content: big },
          ],
        }),
      ),
    )
    const report = await importMail({ db, attachmentsDir, paths: files })
    expect(report.imported).toBe(2)
    const shas = db
      .prepare<[], { sha256: string; size: number }>('SELECT sha256, size FROM attachments')
      .all()
    expect(shas).toHaveLength(2)
    expect(new Set(shas.map((s) => s.sha256)).size).toBe(1)
    expect(shas[0]?.size).toBe(big.length)
    const stored = readdirSync(attachmentsDir, { recursive: true }).filter(
      (f) => String(f).length > 60,
    )
    expect(stored).toHaveLength(1)
  }, 120_000)

  it('skips a message over the size limit and says so', async () => {
    const { db, attachmentsDir } = tempMailDb()
    const mbox = writeFile(
      tempDir(),
      'Inbox',
      buildMbox([
        buildMessage({ subject: 'huge', text: 'x'.repeat(3 * 1024 * 1024) }),
        buildMessage({ subject: 'small' }),
      ]),
    )
    const report = await importMail({
      db,
      attachmentsDir,
      paths: [mbox],
      maxMessageBytes: 2 * 1024 * 1024,
    })
    expect(report.imported).toBe(1)
    expect(report.skipped[0]?.reason).toMatch(/larger than 2 MB \(3 MB\)/)
  })

  it('reads a Thunderbird mail folder: mbox files without extension, .sbd subfolders, index files ignored', async () => {
    const { db, attachmentsDir } = tempMailDb()
    const root = tempDir()
    writeFile(root, 'Inbox', buildMbox([buildMessage({ subject: 'in inbox' })]))
    writeFile(root, 'Inbox.msf', '// <!-- <mdb:mork:z v="1.4"/> -->')
    writeFile(root, 'msgFilterRules.dat', 'version="9"')
    mkdirSync(join(root, 'Archive.sbd'))
    writeFile(root, 'Archive', '')
    writeFile(join(root, 'Archive.sbd'), '2023', buildMbox([buildMessage({ subject: 'archived' })]))
    mkdirSync(join(root, 'Exported'))
    writeFile(join(root, 'Exported'), 'one.eml', buildMessage({ subject: 'eml one' }))
    writeFile(join(root, 'Exported'), 'two.EML', buildMessage({ subject: 'eml two' }))
    const report = await importMail({ db, attachmentsDir, paths: [root] })
    expect(report.imported).toBe(4)
    expect(report.folders.sort()).toEqual(['Archive/2023', 'Exported', 'Inbox'])
    const folders = listFolders(db)
    expect(folders.find((f) => f.path === 'Archive/2023')?.total).toBe(1)
    expect(folders.find((f) => f.path === 'Exported')?.total).toBe(2)
  })

  it('skips a file that went away during the import, says so, and imports the rest', async () => {
    const { db, attachmentsDir } = tempMailDb()
    const root = tempDir()
    writeFile(root, 'Inbox.mbox', buildMbox([buildMessage({ subject: 'in inbox' })]))
    const goneMbox = writeFile(root, 'Old.mbox', buildMbox([buildMessage({ subject: 'old' })]))
    mkdirSync(join(root, 'Saved'))
    writeFile(join(root, 'Saved'), 'one.eml', buildMessage({ subject: 'eml one' }))
    const goneEml = writeFile(join(root, 'Saved'), 'two.eml', buildMessage({ subject: 'two' }))
    let removed = false
    const report = await importMail({
      db,
      attachmentsDir,
      paths: [root],
      // The files were listed; before they are read, two are deleted (a mail client
      // still running, a disk unplugged). That ended the whole import with a bare ENOENT.
      onProgress: () => {
        if (removed) return
        removed = true
        unlinkSync(goneMbox)
        unlinkSync(goneEml)
      },
    })
    expect(report.imported).toBe(2)
    expect(report.skipped).toEqual([
      {
        source: goneMbox,
        position: '',
        reason: expect.stringMatching(/no longer there/) as string,
      },
      { source: goneEml, position: '', reason: expect.stringMatching(/no longer there/) as string },
    ])
  })

  it('skips a pipe named .eml instead of waiting on it forever', async () => {
    const { db, attachmentsDir } = tempMailDb()
    const dir = tempDir()
    const good = writeFile(dir, 'good.eml', buildMessage({ subject: 'good' }))
    const pipe = join(dir, 'pipe.eml')
    expect(spawnSync('mkfifo', [pipe]).status).toBe(0)
    // Something writes to it and stops after a while: read, the pipe held an empty "message"
    // after blocking the import for that long (with no writer, it blocked it for good).
    const writer = spawn('sh', ['-c', `exec sleep 3 > "$1"`, 'sh', pipe], { stdio: 'ignore' })
    try {
      const report = await importMail({ db, attachmentsDir, paths: [good, pipe] })
      expect(report.imported).toBe(1)
      expect(report.skipped).toEqual([
        {
          source: pipe,
          position: '',
          reason: expect.stringMatching(/not a regular file/) as string,
        },
      ])
    } finally {
      writer.kill()
    }
  })

  it('refuses a file that is not mail, before importing anything', async () => {
    const { db, attachmentsDir } = tempMailDb()
    const dir = tempDir()
    const good = writeFile(dir, 'good.mbox', buildMbox([buildMessage({})]))
    const bad = writeFile(dir, 'notes.txt', 'Dear diary,\n')
    const error = await importMail({ db, attachmentsDir, paths: [good, bad] }).catch(
      (e: unknown) => e,
    )
    expect(isCairnError(error, 'IMPORT_NOT_MAIL')).toBe(true)
    expect((error as Error).message).toContain(`${bad} is neither an mbox file`)
    expect(db.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 0 })
  })

  it('says which path is missing', async () => {
    const { db, attachmentsDir } = tempMailDb()
    const missing = join(tempDir(), 'nope.mbox')
    const error = await importMail({ db, attachmentsDir, paths: [missing] }).catch(
      (e: unknown) => e,
    )
    expect(isCairnError(error, 'IMPORT_SOURCE_MISSING')).toBe(true)
    expect((error as Error).message).toBe(`${missing} does not exist.`)
  })

  it('keeps what was imported before a cancel', async () => {
    const { db, attachmentsDir } = tempMailDb()
    const messages = Array.from({ length: 1200 }, (_, i) => buildMessage({ subject: `m${i}` }))
    const mbox = writeFile(tempDir(), 'Big.mbox', buildMbox(messages))
    const controller = new AbortController()
    const report = await importMail({
      db,
      attachmentsDir,
      paths: [mbox],
      signal: controller.signal,
      onProgress: (p) => {
        if (p.imported >= 500) controller.abort()
      },
    })
    expect(report.cancelled).toBe(true)
    const stored = (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n
    expect(stored).toBe(report.imported)
    expect(stored).toBeGreaterThanOrEqual(500)
    expect(stored).toBeLessThan(1200)
    // Importing again completes the folder without duplicates.
    const rest = await importMail({ db, attachmentsDir, paths: [mbox] })
    expect(rest.imported + stored).toBe(1200)
  })
})
