import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type * as Zstd from 'zstd-napi'
import { bodyPreparer } from '../../main/mail/sync/body-prepare'
import { attachmentPath } from '../../main/mail/attachment-store'
import { sourceHash } from '../../main/mail/store/message-sources'
import { buildMessage } from '../support/mail-fixtures'
import { tempDir } from '../support/temp'
import { testWorker } from '../support/test-workers'

const zstd = createRequire(import.meta.url)('zstd-napi') as typeof Zstd
const open: ReturnType<typeof bodyPreparer>[] = []
afterEach(async () => {
  for (const p of open.splice(0)) await p.close()
})

function preparer(options: { size?: number; file?: string } = {}) {
  const p = bodyPreparer({ attachmentsDir: join(tempDir(), 'attachments'), ...options })
  open.push(p)
  return p
}

describe('synced bodies prepared in worker threads', () => {
  it('parses, hashes and compresses a fetched source in one round trip, the source intact', async () => {
    const raw = Buffer.from(
      buildMessage({ subject: 'Quarterly figures', messageId: 'q@example.com', text: 'Hello Bob' }),
    )
    const prepared = await preparer({ size: 1 }).prepare(raw)
    expect(prepared.error).toBeNull()
    expect(prepared.content?.text).toMatch(/Hello Bob/)
    expect(prepared.content?.snippet).toMatch(/^Hello Bob/)
    expect(prepared.sha256).toBe(sourceHash(raw))
    expect(Buffer.from(zstd.decompress(Buffer.from(prepared.compressed))).equals(raw)).toBe(true)
  })

  it('saves attachments in the worker, answering with their store names only', async () => {
    const dir = join(tempDir(), 'attachments')
    const p = bodyPreparer({ attachmentsDir: dir, size: 1 })
    open.push(p)
    const pdf = Buffer.from('%PDF-1.4 not really a pdf but bytes all the same')
    const raw = Buffer.from(
      [
        'From: Alice <alice@example.com>',
        'To: Bob <bob@example.com>',
        'Subject: Report',
        'Message-ID: <r@example.com>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'See attached.',
        '--b',
        'Content-Type: application/pdf; name="r.pdf"',
        'Content-Disposition: attachment; filename="r.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        pdf.toString('base64'),
        '--b--',
        '',
      ].join('\r\n'),
    )
    const prepared = await p.prepare(raw)
    const [attachment] = prepared.content?.attachments ?? []
    expect(attachment).toMatchObject({
      filename: 'r.pdf',
      size: pdf.byteLength,
      disposition: 'attachment',
    })
    expect('content' in (attachment ?? {})).toBe(false)
    const file = attachmentPath(dir, attachment?.sha256 ?? '')
    expect(existsSync(file)).toBe(true)
    expect(readFileSync(file).equals(pdf)).toBe(true)
  })

  it('keeps the source of a message whose MIME cannot be read, with the reason', async () => {
    const raw = Buffer.from('this is no mail header at all\r\n\r\njust bytes')
    const prepared = await preparer({ size: 1 }).prepare(raw)
    expect(prepared.content).toBeNull()
    expect(prepared.error).toMatch(/mail header/)
    expect(prepared.sha256).toBe(sourceHash(raw))
    expect(Buffer.from(zstd.decompress(Buffer.from(prepared.compressed))).equals(raw)).toBe(true)
  })

  it('loses nothing when the thread dies holding a message: source kept with the reason, the rest prepared', async () => {
    const p = preparer({ size: 1, file: await testWorker('dying-body-preparer') })
    const killer = Buffer.from(
      buildMessage({
        subject: 'Killer',
        messageId: 'k@example.com',
        text: 'x',
        headers: { 'X-Kill-Parser': 'yes' },
      }),
    )
    const fine = Buffer.from(
      buildMessage({ subject: 'Fine', messageId: 'f@example.com', text: 'still here' }),
    )
    const [dead, alive] = await Promise.all([p.prepare(killer), p.prepare(fine)])
    expect(dead.content).toBeNull()
    expect(dead.error).toBeTruthy()
    expect(dead.sha256).toBe(sourceHash(killer))
    expect(Buffer.from(zstd.decompress(Buffer.from(dead.compressed))).equals(killer)).toBe(true)
    // It was held by the thread that died too, and was tried again on a fresh one.
    expect(alive.error).toBeNull()
    expect(alive.content?.text).toMatch(/still here/)
  })
})
