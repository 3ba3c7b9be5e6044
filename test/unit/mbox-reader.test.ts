import fc from 'fast-check'
import { truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readMbox, type MboxEntry } from '../../main/mail/import/mbox-reader'
import { buildMbox } from '../support/mail-fixtures'
import { tempDir } from '../support/temp'

async function readAll(content: string | Buffer, maxMessageBytes = 1 << 20): Promise<MboxEntry[]> {
  const file = join(tempDir(), 'test.mbox')
  writeFileSync(file, content)
  const entries: MboxEntry[] = []
  for await (const entry of readMbox(file, { maxMessageBytes })) entries.push(entry)
  return entries
}

describe('mbox reader', () => {
  it('splits messages at "From " lines that follow an empty line', async () => {
    const entries = await readAll(
      'From a@x Tue Mar  3 10:00:00 2026\nSubject: one\n\nbody one\n\nFrom b@x Tue Mar  3 11:00:00 2026\nSubject: two\n\nbody two\n',
    )
    expect(entries.map((e) => e.raw?.toString())).toEqual([
      'Subject: one\n\nbody one\n',
      'Subject: two\n\nbody two\n',
    ])
    expect(entries.map((e) => e.index)).toEqual([1, 2])
    expect(entries[1]?.postmark).toBe('From b@x Tue Mar  3 11:00:00 2026')
    expect(entries[1]?.offset).toBe(58)
  })

  it('keeps a body line starting with "From " that does not follow an empty line', async () => {
    const entries = await readAll('From a@x\nSubject: s\n\nline\nFrom here on it is body\n')
    expect(entries).toHaveLength(1)
    expect(entries[0]?.raw?.toString()).toBe('Subject: s\n\nline\nFrom here on it is body\n')
  })

  it('unescapes ">From " lines by one level (mboxrd)', async () => {
    const entries = await readAll(
      'From a@x\nSubject: s\n\n>From the start\n>>From deeper\n> From not escaped\n',
    )
    expect(entries[0]?.raw?.toString()).toBe(
      'Subject: s\n\nFrom the start\n>From deeper\n> From not escaped\n',
    )
  })

  it('handles CRLF line endings and a last message without a final newline', async () => {
    const entries = await readAll(
      'From a@x\r\nSubject: one\r\n\r\nbody\r\n\r\nFrom b@x\r\nSubject: two\r\n\r\nend',
    )
    expect(entries.map((e) => e.raw?.toString())).toEqual([
      'Subject: one\r\n\r\nbody\r\n',
      'Subject: two\r\n\r\nend',
    ])
  })

  it('skips a message over the size limit without holding it, and goes on', async () => {
    const big = 'x'.repeat(5000)
    const entries = await readAll(
      `From a@x\nSubject: big\n\n${big}\n\nFrom b@x\nSubject: small\n\nok\n`,
      1000,
    )
    expect(entries[0]?.raw).toBeNull()
    expect(entries[0]?.size).toBeGreaterThan(5000)
    expect(entries[1]?.raw?.toString()).toBe('Subject: small\n\nok\n')
  })

  it('goes through a message that is one huge line (a binary file) without holding it', async () => {
    // "From " line, a header, then 512 MB of NUL bytes with no newline (a sparse file: no disk
    // used). Held until its newline, the line grew one buffer to the size of the file, copied
    // again at every 1 MiB read: minutes of copying and memory the size of the file.
    const file = join(tempDir(), 'binary.mbox')
    writeFileSync(file, 'From a@x\nSubject: binary\n\n')
    truncateSync(file, 512 * 1024 * 1024)
    const started = Date.now()
    const entries: MboxEntry[] = []
    for await (const entry of readMbox(file, { maxMessageBytes: 1 << 20 })) entries.push(entry)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(entries).toHaveLength(1)
    expect(entries[0]?.raw).toBeNull()
    expect(entries[0]?.size).toBe(512 * 1024 * 1024 - 'From a@x\n'.length)
  }, 30_000)

  it('keeps a long line whole, and finds the messages after it', async () => {
    const long = `${'y'.repeat(300_000)}\n`
    const bodies = [`Subject: long\n\n>From ${long}`, 'Subject: next\n\nok\n']
    const entries = await readAll(
      `From ${'p'.repeat(200_000)}\n${bodies[0]}\nFrom b@x\n${bodies[1]}`,
    )
    expect(entries.map((e) => e.raw?.toString())).toEqual([
      `Subject: long\n\nFrom ${long}`,
      'Subject: next\n\nok\n',
    ])
    expect(entries[0]?.postmark).toBe(`From ${'p'.repeat(1019)}`)
  })

  it('reads messages split across read chunks', async () => {
    // Messages of ~300 KB cross the reader's 1 MiB chunks at arbitrary places.
    const bodies = Array.from(
      { length: 8 },
      (_, i) => `Subject: ${i}\n\n${'line of text\n'.repeat(25_000 + i)}`,
    )
    const entries = await readAll(buildMbox(bodies))
    expect(entries.map((e) => e.raw?.toString())).toEqual(bodies)
  })

  it('returns every message unchanged after mboxrd escaping (property)', async () => {
    const line = fc.oneof(
      fc.constantFrom('From me', '>From you', '>>From x', '', 'From ', 'plain text'),
      fc.string({ unit: fc.constantFrom('a', 'F', 'r', 'o', 'm', ' ', '>', 'z') }),
    )
    const message = fc
      .array(line, { minLength: 0, maxLength: 12 })
      .map((lines) => `Subject: t\n\n${lines.join('\n')}`.replace(/\n*$/, '\n'))
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 5 }), async (messages) => {
        const entries = await readAll(buildMbox(messages))
        expect(entries.map((e) => e.raw?.toString())).toEqual(messages)
      }),
      { numRuns: 60 },
    )
  })
})
