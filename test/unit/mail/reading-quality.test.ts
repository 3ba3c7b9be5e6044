import { describe, expect, it } from 'vitest'
import { parseMessage } from '../../../main/mail/import/parse-message'

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'))

describe('reading quality: messages real mail clients wrote', () => {
  it('shows a part declared "Content-Type: text" (no subtype) as text, not as an attachment', async () => {
    const parsed = await parseMessage(
      crlf([
        'From: a@example.com',
        'Subject: bare text',
        'Content-Type: text; charset=iso-8859-1',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'Caf=E9 at noon',
        '',
      ]),
    )
    expect(parsed.text.trim()).toBe('Café at noon')
    expect(parsed.attachments).toEqual([])
    expect(parsed.problems).toEqual([])
  })

  it('reads a nested "text" part without subtype as the body too', async () => {
    const parsed = await parseMessage(
      crlf([
        'From: a@example.com',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text',
        '',
        'Inner words',
        '--b1',
        'Content-Type: application/pdf; name="x.pdf"',
        'Content-Disposition: attachment; filename="x.pdf"',
        '',
        'PDF',
        '--b1--',
        '',
      ]),
    )
    expect(parsed.text.trim()).toBe('Inner words')
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['x.pdf'])
  })

  it('recovers a multipart message that names no boundary, and says it was damaged', async () => {
    const parsed = await parseMessage(
      crlf([
        'From: a@example.com',
        'Subject: no boundary',
        'Content-Type: multipart/alternative',
        '',
        '--XyZ',
        'Content-Type: text/plain',
        '',
        'The text that was there all along',
        '--XyZ',
        'Content-Type: text/html',
        '',
        '<p>The text that was there all along</p>',
        '--XyZ--',
        '',
      ]),
    )
    expect(parsed.text.trim()).toBe('The text that was there all along')
    expect(parsed.problems).toEqual([
      'it is a multipart message that does not say where its parts begin',
    ])
  })

  it('reads a boundary that never closes up to the end', async () => {
    const parsed = await parseMessage(
      crlf([
        'From: a@example.com',
        'Content-Type: multipart/mixed; boundary=open',
        '',
        '--open',
        'Content-Type: text/plain',
        '',
        'First part, never closed',
        '',
      ]),
    )
    expect(parsed.text.trim()).toBe('First part, never closed')
  })

  it('reads headers that run into the body without a blank line', async () => {
    const parsed = await parseMessage(
      crlf([
        'From: a@example.com',
        'Subject: squashed',
        'Content-Type: text/plain',
        'Hello, this line is the body.',
        'And this one.',
        '',
      ]),
    )
    expect(parsed.subject).toBe('squashed')
    expect(parsed.text.trim()).toBe('Hello, this line is the body.\nAnd this one.')
    expect(parsed.problems).toEqual(['its headers ran into the text without a blank line'])
  })

  it('shows whatever text it can when no part can be read, never an empty pane', async () => {
    const parsed = await parseMessage(
      crlf([
        'From: a@example.com',
        'Content-Type: multipart/mixed; boundary="declared"',
        '',
        '--used-instead',
        'Content-Type: text/plain',
        '',
        'Words under the wrong boundary',
        '--used-instead--',
        '',
      ]),
    )
    expect(parsed.text).toContain('Words under the wrong boundary')
    expect(parsed.text).not.toContain('Content-Type')
    expect(parsed.problems.length).toBeGreaterThan(0)
  })

  it('takes the date from the first Received header when there is no Date, else none', async () => {
    const withReceived = await parseMessage(
      crlf([
        'Received: from mx.example.com by mail.example.org; Tue, 3 Mar 2026 10:16:13 +0100 (CET)',
        'Received: from laptop by mx.example.com; Tue, 3 Mar 2026 09:00:00 +0100',
        'From: a@example.com',
        'Subject: undated',
        '',
        'body',
      ]),
    )
    expect(withReceived.date).toBe(Date.UTC(2026, 2, 3, 9, 16, 13))
    const bare = await parseMessage(crlf(['From: a@example.com', 'Subject: undated', '', 'body']))
    expect(bare.date).toBeNull()
  })

  it('decodes every HTML entity in text taken from an HTML-only message', async () => {
    const parsed = await parseMessage(
      crlf([
        'From: a@example.com',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>Caf&eacute; cr&egrave;me &amp; &hellip; &#233;t&#xE9; &rsquo;</p>',
      ]),
    )
    expect(parsed.text).toBe('Café crème & … été ’')
  })
})
