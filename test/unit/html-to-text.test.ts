import { describe, expect, it } from 'vitest'
import { htmlToText } from '../../main/mail/import/html-to-text'
import { postmarkDate } from '../../main/mail/import/import-mail'

describe('HTML to text for the index', () => {
  it('drops tags, scripts and styles and keeps paragraphs', () => {
    const html =
      '<html><head><style>p{}</style></head><body><p>Hello&nbsp;<b>Bob</b></p><script>x()</script><p>Bye &amp; thanks &#8364;5</p></body></html>'
    expect(htmlToText(html)).toBe('Hello Bob\n\nBye & thanks €5')
  })
})

describe('mbox postmark date', () => {
  it('reads the classic asctime form and the form with a zone', () => {
    expect(postmarkDate('From MAILER-DAEMON Sat Jan  3 01:05:34 1996')).toBe(
      Date.UTC(1996, 0, 3, 1, 5, 34),
    )
    expect(postmarkDate('From 123@xxx Sat Jan 03 01:05:34 +0000 2015')).toBe(
      Date.UTC(2015, 0, 3, 1, 5, 34),
    )
  })

  it('returns null for a line without a date', () => {
    expect(postmarkDate('From - ')).toBeNull()
  })
})
