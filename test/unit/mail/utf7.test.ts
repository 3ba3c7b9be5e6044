import { describe, expect, it } from 'vitest'
import { parseMessage } from '../../../main/mail/import/parse-message'
import { decodeUtf7 } from '../../../main/mail/import/utf7'
import { transcodeUtf7 } from '../../../main/mail/import/utf7-parts'

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'))

describe('UTF-7 (RFC 2152)', () => {
  it('decodes the RFC 2152 examples and the shapes old clients write', () => {
    // RFC 2152 section "Examples".
    expect(decodeUtf7('A+ImIDkQ.')).toBe('A\u2262\u0391.')
    expect(decodeUtf7('Hi Mom -+Jjo--!')).toBe('Hi Mom -\u263a-!')
    expect(decodeUtf7('+ZeVnLIqe-')).toBe('日本語')
    expect(decodeUtf7('Item 3 is +AKM-1.')).toBe('Item 3 is £1.')
    // "+-" is a plus sign; a run ends at '-' (absorbed) or at any non-base64 character (kept).
    expect(decodeUtf7('1 +- 1 = 2')).toBe('1 + 1 = 2')
    expect(decodeUtf7('K+AOQ-se und M+APw-sli')).toBe('Käse und Müsli')
    expect(decodeUtf7('Gr+APw-+AN8-e')).toBe('Grüße')
    expect(decodeUtf7('+AOQ')).toBe('ä')
    // A character outside the BMP: a surrogate pair in one run.
    expect(decodeUtf7('+2D3eAA-')).toBe('😀')
    // Lenient: a '+' that starts no base64 stays; an unpaired surrogate is U+FFFD.
    expect(decodeUtf7('a + b')).toBe('a + b')
    expect(decodeUtf7('+2D0-')).toBe('\ufffd')
    expect(decodeUtf7('plain text')).toBe('plain text')
  })

  it('shows a body in charset utf-7 decoded, in a single part and in the parts of a multipart', async () => {
    const single = await parseMessage(
      crlf([
        'From: a@example.com',
        'Subject: single',
        'Content-Type: text/plain; charset=utf-7',
        '',
        'Gr+APw-+AN8-e aus K+APY-ln, 1 +- 1',
        '',
      ]),
    )
    expect(single.text.trim()).toBe('Grüße aus Köln, 1 + 1')

    const multipart = await parseMessage(
      crlf([
        'From: a@example.com',
        'Subject: =?utf-7?Q?K+AOQ-se?= and =?UNICODE-1-1-UTF-7?B?K0FPUS1zZQ==?=',
        'Content-Type: multipart/alternative; boundary="alt"',
        '',
        '--alt',
        'Content-Type: text/plain; charset="UNICODE-1-1-UTF-7"',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'K+AOQ-se f=',
        '+APw-r alle',
        '--alt',
        'Content-Type: text/html;',
        '\tcharset="utf-7"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('<p>K+AOQ-se f+APw-r alle</p>').toString('base64'),
        '--alt--',
        '',
      ]),
    )
    expect(multipart.subject).toBe('Käse and äse')
    expect(multipart.text.trim()).toBe('Käse für alle')
    expect(multipart.html).toContain('<p>Käse für alle</p>')
  })

  it('leaves "+AOQ-" alone in a part that is not UTF-7, and a message without UTF-7 byte for byte', async () => {
    const parsed = await parseMessage(
      crlf([
        'From: a@example.com',
        'Subject: about utf-7',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'In UTF-7, +AOQ- is an a-umlaut.',
        '--b',
        'Content-Type: text/plain; charset=utf-7',
        '',
        'Here it is: +AOQ-',
        '--b--',
        '',
      ]),
    )
    expect(parsed.text).toContain('In UTF-7, +AOQ- is an a-umlaut.')
    expect(parsed.text).toContain('Here it is: ä')
    const plain = crlf(['From: a@example.com', 'Content-Type: text/plain; charset=utf-8', '', 'Hi'])
    expect(transcodeUtf7(plain)).toBe(plain)
  })
})
