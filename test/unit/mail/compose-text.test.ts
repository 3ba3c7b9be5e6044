import { describe, expect, it } from 'vitest'
import { htmlToPlain } from '../../../main/mail/compose/html-to-plain'
import { forwardSubject, replyRecipients, replySubject } from '../../../main/mail/compose/reply'

const a = (name: string, address: string) => ({ name, address })

describe('reply recipients', () => {
  const original = {
    from: a('Alice', 'alice@example.com'),
    replyTo: [],
    to: [a('Me', 'me@example.test'), a('Bob', 'bob@example.com')],
    cc: [a('Carol', 'carol@example.com'), a('Bob again', 'BOB@example.com')],
  }

  it('replies to the sender, or to Reply-To when there is one', () => {
    expect(replyRecipients(original, 'reply', ['me@example.test'])).toEqual({
      to: [a('Alice', 'alice@example.com')],
      cc: [],
    })
    expect(
      replyRecipients({ ...original, replyTo: [a('List', 'list@example.org')] }, 'reply', []),
    ).toEqual({ to: [a('List', 'list@example.org')], cc: [] })
  })

  it('replies to all once each, never to oneself', () => {
    expect(replyRecipients(original, 'replyAll', ['ME@example.test'])).toEqual({
      to: [a('Alice', 'alice@example.com')],
      cc: [a('Bob', 'bob@example.com'), a('Carol', 'carol@example.com')],
    })
  })

  it('replies to one’s own sent message by writing to its recipients again', () => {
    const sent = { ...original, from: a('Me', 'me@example.test') }
    expect(replyRecipients(sent, 'replyAll', ['me@example.test'])).toEqual({
      to: [a('Me', 'me@example.test'), a('Bob', 'bob@example.com')],
      cc: [a('Carol', 'carol@example.com')],
    })
  })

  it('prefixes subjects once, in any common language', () => {
    expect(replySubject('Lunch')).toBe('Re: Lunch')
    expect(replySubject('RE: Lunch')).toBe('RE: Lunch')
    expect(replySubject('AW: Mittag')).toBe('AW: Mittag')
    expect(forwardSubject('Lunch')).toBe('Fwd: Lunch')
    expect(forwardSubject('Fw: Lunch')).toBe('Fw: Lunch')
  })
})

describe('the plain-text alternative of an HTML message', () => {
  it('keeps paragraphs, quotes, lists and links readable', () => {
    const html =
      '<p>Hello <b>Bob</b>,</p><p>See <a href="https://example.com/x">the plan</a>.<br>Thanks</p>' +
      '<ul><li>one</li><li>two</li></ul><ol><li>first</li><li>second</li></ol>' +
      '<p>On Tuesday, Alice wrote:</p><blockquote><p>Original</p><blockquote><p>Older</p></blockquote></blockquote>' +
      '<p><img alt="logo" src="data:image/png;base64,AA"></p>'
    expect(htmlToPlain(html)).toBe(
      [
        'Hello Bob,',
        '',
        'See the plan <https://example.com/x>.',
        'Thanks',
        '',
        '- one',
        '- two',
        '',
        '1. first',
        '2. second',
        '',
        'On Tuesday, Alice wrote:',
        '',
        '> Original',
        '>',
        '> > Older',
        '',
        '[logo]',
        '',
      ].join('\n'),
    )
  })

  it('keeps the signature separator "-- " with its space, which the editor drops from the HTML', () => {
    // What the editor gives back for a new message with a signature (quote.ts signatureBlock).
    const html = '<p>See you.</p><p>--</p><p>Ada, Countess of Lovelace</p><p><em>Analyst</em></p>'
    expect(htmlToPlain(html).split('\n')).toEqual([
      'See you.',
      '',
      '-- ',
      '',
      'Ada, Countess of Lovelace',
      '',
      'Analyst',
      '',
    ])
    // Only a line that is the separator alone: dashes within text lose trailing spaces as before.
    expect(htmlToPlain('<p>a -- </p><p>--- </p>')).toBe('a --\n\n---\n')
  })
})
