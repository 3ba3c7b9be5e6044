import Database from 'better-sqlite3'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { MailEvents } from '../../main/mail/mail-service'
import { openServices, type CairnServices } from '../../main/services'
import { isCairnError } from '../../main/shared/errors'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { tempDir } from '../support/temp'
import { testWorker } from '../support/test-workers'

/**
 * A parse worker that dies mid-import, with real threads and real files:
 * the import's parsers are test/support/workers/dying-parser.ts (the real
 * parser plus ways to die that exist only in tests).
 */
let dyingParser: string
beforeAll(async () => {
  dyingParser = await testWorker('dying-parser')
})

const opened: CairnServices[] = []
afterEach(async () => {
  delete process.env.CAIRN_TEST_KILL_PARSERS
  for (const s of opened.splice(0)) await s.close()
})

function services(profileDir = tempDir(), importStopGraceMs?: number): CairnServices {
  const s = openServices(profileDir, {
    mail: { parseWorkerFile: dyingParser, importStopGraceMs },
  })
  opened.push(s)
  return s
}

function finished(s: CairnServices): Promise<MailEvents['importFinished']> {
  return new Promise((resolve) => {
    const off = s.mail.events.on('importFinished', (payload) => {
      off()
      resolve(payload)
    })
  })
}

function mbox(count: number, special: Record<number, Record<string, string>> = {}): string {
  const file = join(tempDir(), 'Archive.mbox')
  writeFileSync(
    file,
    buildMbox(
      Array.from({ length: count }, (_, i) =>
        buildMessage({
          subject: `Message ${i + 1}`,
          messageId: `m${i + 1}@example.com`,
          text: `body ${i + 1} ${'lorem ipsum '.repeat(20)}`,
          headers: special[i + 1] ?? {},
        }),
      ),
    ),
  )
  return file
}

function storedSubjects(profileDir: string): Set<string> {
  const db = new Database(join(profileDir, 'mail.sqlite'), { readonly: true })
  try {
    const rows = db.prepare('SELECT subject FROM messages').all() as { subject: string }[]
    return new Set(rows.map((r) => r.subject))
  } finally {
    db.close()
  }
}

describe('an import whose parser dies', () => {
  it('skips and reports the message that kills its parser, and imports the rest', async () => {
    const profile = tempDir()
    const s = services(profile)
    const source = mbox(1200, { 700: { 'X-Kill-Parser': 'yes' } })
    const done = finished(s)
    s.mail.startImport([source])
    const result = await done
    expect(result.error).toBeNull()
    expect(result.report?.imported).toBe(1199)
    expect(result.report?.skipped).toEqual([
      {
        source,
        position: expect.stringMatching(/^message 700 \(byte \d+\)$/) as unknown as string,
        reason:
          'the message parser stopped twice while reading it (The message parser stopped unexpectedly (exit code 3) while working on this); it was not imported',
      },
    ])
    const subjects = storedSubjects(profile)
    expect(subjects.size).toBe(1199)
    expect(subjects.has('Message 700')).toBe(false)
    expect(subjects.has('Message 699')).toBe(true)
    expect(subjects.has('Message 701')).toBe(true)
  })

  it('stops with a clear error when parsers keep dying, keeps what was committed, and closes promptly', async () => {
    const profile = tempDir()
    const s = services(profile)
    const killSwitch = join(tempDir(), 'kill-parsers')
    process.env.CAIRN_TEST_KILL_PARSERS = killSwitch
    const source = mbox(6000)
    // Once a first batch is committed, every parser dies on its next message.
    s.mail.events.on('importProgress', (progress) => {
      if (progress.imported >= 500) writeFileSync(killSwitch, 'die')
    })
    const done = finished(s)
    s.mail.startImport([source])
    const result = await done
    expect(result.report).toBeNull()
    expect(result.error?.code).toBe('WORKER_UNAVAILABLE')
    const match =
      /^The import stopped: the message parser keeps stopping \(3 times in a row; last: The message parser stopped unexpectedly \(exit code 3\)\)\. The ([\d,]+) messages imported so far are kept; import again to add the rest\.$/.exec(
        result.error?.message ?? '',
      )
    expect(match, result.error?.message).not.toBeNull()
    const kept = Number(match?.[1]?.replaceAll(',', ''))
    expect(kept).toBeGreaterThanOrEqual(500)
    expect(kept).toBeLessThan(6000)

    // Nothing committed is lost: the database holds exactly what the message says.
    const started = Date.now()
    await s.close()
    opened.splice(opened.indexOf(s), 1)
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(storedSubjects(profile).size).toBe(kept)

    // Importing again, with parsers that live, adds exactly the rest.
    delete process.env.CAIRN_TEST_KILL_PARSERS
    const again = services(profile)
    const next = finished(again)
    again.mail.startImport([source])
    const second = await next
    expect(second.error).toBeNull()
    expect(second.report).toMatchObject({ imported: 6000 - kept, duplicates: kept })
    expect((await again.mail.overview()).messageCount).toBe(6000)
  })

  it('does not hold up closing when a parser hangs on a message', async () => {
    const profile = tempDir()
    const s = services(profile, 300)
    // Message 501 hangs its parser: the import commits 500, then waits on it forever.
    const source = mbox(1500, { 501: { 'X-Hang-Parser': 'yes' } })
    const done = finished(s)
    s.mail.startImport([source])
    while (storedSubjects(profile).size < 500)
      await new Promise((resolve) => setTimeout(resolve, 50))
    const started = Date.now()
    await s.close()
    opened.splice(opened.indexOf(s), 1)
    expect(Date.now() - started).toBeLessThan(5_000)
    const result = await done
    expect(result.error?.code).toBe('IMPORT_CANCELLED')
    expect(result.error?.message).toBe(
      'The import was stopped before it could finish cleanly. The messages imported so far are kept; import again to add the rest.',
    )
    expect(storedSubjects(profile).size).toBe(500)
  })

  it('answers reads again after a read worker dies', async () => {
    const s = services()
    const done = finished(s)
    s.mail.startImport([mbox(10)])
    await done
    const [first] = s.mail.readerThreads
    const during = s.mail.search('lorem', 50)
    await first?.stop()
    // The read that worker held (if it held one) fails clearly; the next ones are answered.
    const outcome = await during.then(
      (hits) => hits.length,
      (error: unknown) => (isCairnError(error, 'WORKER_STOPPED') ? 'stopped' : error),
    )
    expect([10, 'stopped']).toContain(outcome)
    for (let i = 0; i < 4; i++) expect(await s.mail.search('lorem', 50)).toHaveLength(10)
    expect(s.mail.readerThreads).toHaveLength(2)
    expect(s.mail.readerThreads.map((t) => t.threadId)).not.toContain(first?.threadId)
  })
})
