import { describe, expect, it } from 'vitest'
import { parseMessage } from '../../main/mail/import/parse-message'
import { htmlToText } from '../../main/mail/import/html-to-text'

/**
 * An HTML-only message is turned into text for its snippet and the search
 * index. A hostile (or merely broken) HTML body must not hold the parser
 * thread for minutes: body sync of the whole account waits behind it.
 */
function htmlOnly(html: string): Buffer {
  return Buffer.from(
    'From: spam@example.test\r\nTo: alice@example.test\r\nSubject: offer\r\n' +
      'Message-ID: <h@example.test>\r\nMIME-Version: 1.0\r\n' +
      'Content-Type: text/html; charset=utf-8\r\n\r\n' +
      html,
    'utf8',
  )
}

describe('HTML-only bodies that never close their tags', () => {
  for (const [name, unit] of [
    ['a lone "<"', '<'],
    ['"<!--" without "-->"', '<!--'],
    ['"<script" without "</script>"', '<script'],
    ['"<td" without ">"', '<td'],
  ] as const) {
    it(`parses 200 KB of ${name} in well under a second per 100 KB`, async () => {
      const html = `<p>hello</p>${unit.repeat(Math.floor(200_000 / unit.length))}`
      const started = performance.now()
      const message = await parseMessage(htmlOnly(html))
      const ms = performance.now() - started
      expect(message.snippet.startsWith('hello')).toBe(true)
      expect(ms).toBeLessThan(2_000)
    }, 300_000)
  }

  it('keeps what htmlToText did for ordinary HTML', () => {
    expect(
      htmlToText(
        '<html><head><title>t</title></head><body><script>x()</script><!-- c --><p>caf&eacute; <b>bold</b>.</p>' +
          '<table><tr><td>a</td><TD class="x">b</td></tr></table><br>end <a <b>x</b> 1 < 2</body></html>',
      ),
    ).toBe('café bold.\n\na b\n\nend x 1')
  })
})
