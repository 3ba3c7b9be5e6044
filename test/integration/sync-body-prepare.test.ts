import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type * as Zstd from 'zstd-napi'
import { bodyPreparer, prepareBody } from '../../main/mail/sync/body-prepare'
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

  it('reads every kind of part in its thread exactly as postal-mime does with Node’s Blob', async () => {
    // The thread joins postal-mime's decoded parts without Node's Blob
    // (joined-bytes-blob.ts) and decodes base64 with Node's decoder
    // (native-base64.ts); this thread keeps postal-mime's own.
    const dir = join(tempDir(), 'attachments')
    const p = bodyPreparer({ attachmentsDir: dir, size: 1 })
    open.push(p)
    const head = (extra: string) =>
      `From: =?utf-8?q?J=C3=BCrgen?= <j@example.com>\r\nTo: Bob <bob@example.com>\r\nSubject: Parts\r\nMessage-ID: <p@example.com>\r\nMIME-Version: 1.0\r\n${extra}`
    const pdf = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256))
    const messages = [
      head(
        'Content-Type: text/plain; charset=utf-8\r\n\r\nPlain 8bit: Grüße, 東京\r\nsecond line\r\n',
      ),
      head(
        'Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 soft=\r\nbreak and =3D sign\r\n',
      ),
      head(
        `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from('Base64 text: Ünïcödé ✓\n'.repeat(20)).toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n`,
      ),
      head('Content-Type: text/plain; charset=utf-7\r\n\r\nHi Mom -+Jjo--!\r\n'),
      head(
        'Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\r\n\r\nA flowed para \r\ngraph that goes on.\r\n-- \r\nsig\r\n',
      ),
      head(
        'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n--alt\r\nContent-Type: text/plain\r\n\r\nplain side\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html <b>side</b> &amp; more</p>\r\n--alt--\r\n',
      ),
      head(
        'Content-Type: multipart/mixed; boundary="m"\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nsee the parts\r\n' +
          `--m\r\nContent-Type: application/pdf; name="a.pdf"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="a.pdf"\r\n\r\n${pdf.toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n` +
          '--m\r\nContent-Type: text/calendar; method=request\r\n\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n\r\n\r\n' +
          '--m\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="raw.bin"\r\n\r\nraw 8bit line\r\nanother\r\n' +
          '--m\r\nContent-Type: message/rfc822\r\n\r\nFrom: inner@example.com\r\nSubject: Inner\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ninner =C3=A9 text\r\n' +
          '--m--\r\n',
      ),
      // No closing boundary, a part cut short: parsed as far as it goes.
      head(
        'Content-Type: multipart/mixed; boundary="cut"\r\n\r\n--cut\r\nContent-Type: text/plain\r\n\r\nbefore the cut\r\n--cut\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=AAAA\r\n',
      ),
      // Base64 attachments, which the thread decodes natively (native-base64.ts):
      // one like the benchmark's, a small one, and damaged ones.
      ...[
        Buffer.from(Array.from({ length: 23_457 }, (_, i) => (i * 131 + (i >> 7)) % 256))
          .toString('base64')
          .replace(/.{76}/g, '$&\r\n'),
        'QUJD',
        pdf.toString('base64').replace(/.{60}/g, '$&=\r\n'),
        `${pdf.toString('base64').slice(0, 1001)}\r\n`,
        'QU JD\t!RE@VG\r\n\xe9\xff==QUI\r\n',
      ].map((body, i) =>
        head(
          `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n` +
            `--b${i}\r\nContent-Type: application/pdf; name="doc${i}.pdf"\r\nContent-Transfer-Encoding: base64\r\n` +
            `Content-Disposition: attachment; filename="doc${i}.pdf"\r\n\r\n${body}\r\n--b${i}--\r\n`,
        ),
      ),
    ].map((m) => Buffer.from(m, 'utf8'))
    for (const raw of messages) {
      const inThread = await p.prepare(raw)
      const here = await prepareBody(raw, dir)
      expect(inThread.content).not.toBeNull()
      expect(inThread.content).toEqual(here.content)
    }
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
