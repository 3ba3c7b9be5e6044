import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fileNameFromUrl, safeFileName } from '../../main/chat/files'
import { parseMessage } from '../../main/chat/protocol/incoming'
import { parseServer } from '../../main/chat/server-discovery'
import { parseAccountJid, parseJid, toBare } from '../../main/chat/xmpp/jid'
import { el, escapeXml, xmlSafe, type XmlElement } from '../../main/chat/xmpp/xml'
import { XmlStream } from '../../main/chat/xmpp/xml-stream'

function collect(maxStanzaChars?: number) {
  const elements: XmlElement[] = []
  const errors: Error[] = []
  let opened = false
  let closed = false
  const stream = new XmlStream(
    {
      open: () => void (opened = true),
      element: (e) => void elements.push(e),
      close: () => void (closed = true),
      error: (e) => void errors.push(e),
    },
    maxStanzaChars,
  )
  return { stream, elements, errors, state: () => ({ opened, closed }) }
}

const HEADER = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`

describe('the XMPP stream parser', () => {
  it('reads stanzas with namespaces, text and whitespace keepalives between them', () => {
    const { stream, elements, errors, state } = collect()
    stream.write(
      `${HEADER} <message from='a@b/c' type='chat'><body>hi &amp; bye</body><x xmlns='jabber:x:oob'><url>u</url></x></message> \n`,
    )
    stream.write('</stream:stream>')
    expect(errors).toEqual([])
    expect(state()).toEqual({ opened: true, closed: true })
    expect(elements).toHaveLength(1)
    const message = elements[0]!
    expect(message.xmlns).toBe('jabber:client')
    expect(message.childText('body')).toBe('hi & bye')
    expect(message.child('x', 'jabber:x:oob')?.childText('url')).toBe('u')
  })

  it('keeps multi-byte characters split across network reads whole, wherever the split falls', () => {
    const text = 'ü€😀 日本語 '.repeat(50)
    const bytes = Buffer.from(`${HEADER}<message><body>${text}</body></message>`)
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 20 }),
        (cuts) => {
          const { stream, elements, errors } = collect()
          const points = [...new Set(cuts)].sort((a, b) => a - b)
          let last = 0
          for (const point of [...points, bytes.length]) {
            stream.write(bytes.subarray(last, point))
            last = point
          }
          expect(errors).toEqual([])
          expect(elements[0]?.childText('body')).toBe(text)
        },
      ),
    )
  })

  it('refuses a stanza over the size limit, comments, processing instructions and DTDs', () => {
    for (const bad of [
      `<message><body>${'x'.repeat(5000)}</body></message>`,
      `<!-- a comment --><message/>`,
      `<?evil instruction?><message/>`,
      `<message><body>&#0;</body></message>`,
      `<message><body>unclosed</message>`,
    ]) {
      const { stream, elements, errors } = collect(1000)
      stream.write(HEADER)
      for (let i = 0; i < bad.length; i += 300) stream.write(bad.slice(i, i + 300))
      expect(errors.length, bad.slice(0, 40)).toBe(1)
      expect(elements).toEqual([])
    }
  })
})

describe('the XMPP stream parser against deep nesting', () => {
  it('ends the stream at once on a stanza nested too deep, instead of parsing it for minutes', () => {
    // saxes gets slower with every level (20,000 took seconds, 40,000 most of a minute),
    // all of it on the main process: a small stanza would freeze the app.
    const { stream, elements, errors } = collect()
    stream.write(HEADER)
    const started = Date.now()
    stream.write(`<message>${'<a>'.repeat(20_000)}`)
    stream.write(`${'</a>'.repeat(20_000)}</message>`)
    expect(errors).toHaveLength(1)
    expect(elements).toEqual([])
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('still reads a stanza nested as deep as real ones get', () => {
    const { stream, elements, errors } = collect()
    stream.write(`${HEADER}<message>${'<span>'.repeat(40)}x${'</span>'.repeat(40)}</message>`)
    expect(errors).toEqual([])
    expect(elements).toHaveLength(1)
  })
})

describe('outgoing XML', () => {
  it('escapes markup and drops characters XML 1.0 cannot carry', () => {
    expect(el('body', { a: `"'<>&` }, 'x < y & \u0000\u0007z\r').toString()).toBe(
      `<body a='&quot;&apos;&lt;&gt;&amp;'>x &lt; y &amp; z&#13;</body>`,
    )
    expect(xmlSafe('ok\t\n\u0085\u202e\ud83d\ude00 lone \ud800 end')).toBe(
      'ok\t\n\u0085\u202e\ud83d\ude00 lone  end',
    )
    expect(escapeXml('\uFFFE\uFFFF')).toBe('')
  })

  it('round-trips any text through the parser', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        const { stream, elements, errors } = collect()
        stream.write(HEADER + el('message', {}, el('body', {}, text)).toString())
        expect(errors).toEqual([])
        expect(elements[0]?.childText('body') ?? '').toBe(xmlSafe(text))
      }),
    )
  })
})

describe('JIDs and server addresses', () => {
  it('normalises and checks JIDs', () => {
    expect(parseJid('Alice@Example.ORG/Phone')).toEqual({
      local: 'alice',
      domain: 'example.org',
      resource: 'Phone',
    })
    expect(toBare('room@conference.example.org/Nick With Spaces')).toBe(
      'room@conference.example.org',
    )
    for (const bad of [
      '',
      '@example.org',
      'a@',
      'a@b/',
      'a b@example.org',
      'a@exa mple.org',
      "a'b@x",
      'a@b/\u0001',
    ])
      expect(parseJid(bad), bad).toBeNull()
    expect(parseAccountJid('alice@example.org/res')).toBeNull()
    expect(parseAccountJid('example.org')).toBeNull()
  })

  it('parses HOST:PORT', () => {
    expect(parseServer('chat.example.org')).toEqual({ host: 'chat.example.org', port: 5222 })
    expect(parseServer('127.0.0.1:5223')).toEqual({ host: '127.0.0.1', port: 5223 })
    expect(parseServer('[::1]:5222')).toEqual({ host: '::1', port: 5222 })
    expect(() => parseServer('host:99999')).toThrow(/not a server address/)
  })
})

describe('file names from contacts', () => {
  it('are one plain, safe name whatever is sent', () => {
    expect(safeFileName('../../etc/passwd')).toBe('passwd')
    expect(safeFileName('C:\\Windows\\system32\\evil.dll')).toBe('evil.dll')
    expect(safeFileName('\u202egnp.exe')).toBe('gnp.exe')
    expect(safeFileName('nul')).toBe('_nul')
    expect(safeFileName('...')).toBe('file')
    expect(safeFileName('a\u0000b\u001bc.txt')).toBe('abc.txt')
    expect(safeFileName(`${'x'.repeat(300)}.jpeg`)).toMatch(/^x{115}\.jpeg$/)
    // Cut at 115 UTF-16 units, the name ended in the first half of an emoji (two units).
    expect(safeFileName(`${'x'.repeat(110)}${'😀'.repeat(10)}.jpeg`)).toBe(
      `${'x'.repeat(110)}😀😀.jpeg`,
    )
    expect(fileNameFromUrl('https://h/p/my%20photo.jpg?x=1')).toBe('my photo.jpg')
    expect(fileNameFromUrl('not a url')).toBe('file')
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (input) => {
        const name = safeFileName(input)
        expect(name).not.toMatch(
          /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/,
        )
        expect(name.length).toBeGreaterThan(0)
        expect(name.length).toBeLessThanOrEqual(120)
        // eslint-disable-next-line no-control-regex
        expect(name).not.toMatch(/[/\\<>:"|?*\u0000-\u001f]/)
        expect(name.startsWith('.')).toBe(false)
      }),
    )
  })
})

describe('reading messages', () => {
  const me = {
    own: 'me@example.org',
    isRoom: (bare: string) => bare === 'room@muc.example.org' || bare === 'other@muc.example.org',
  }
  const msg = (attrs: Record<string, string>, ...children: XmlElement[]) =>
    el('message', attrs, ...children)

  it('trusts a stanza-id only from the archive that owns it', () => {
    const parsed = parseMessage(
      msg(
        { from: 'bob@example.org/phone', to: 'me@example.org', type: 'chat', id: 'm1' },
        el('body', {}, 'hi'),
        el('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: 'bob@example.org', id: 'forged' }),
        el('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: 'me@example.org', id: 'real' }),
      ),
      me,
    )
    expect(parsed).toMatchObject({
      peer: 'bob@example.org',
      direction: 'in',
      originId: 'm1',
      archiveId: 'real',
      body: 'hi',
    })
  })

  it('unwraps carbons and archive results only from our own account (or a room we are in)', () => {
    const inner = msg(
      { from: 'me@example.org/phone', to: 'bob@example.org', type: 'chat', id: 'x' },
      el('body', {}, 'from my phone'),
    )
    const carbon = (from: string) =>
      msg(
        { from, to: 'me@example.org/cairn' },
        el(
          'sent',
          { xmlns: 'urn:xmpp:carbons:2' },
          el('forwarded', { xmlns: 'urn:xmpp:forward:0' }, inner),
        ),
      )
    expect(parseMessage(carbon('me@example.org'), me)).toMatchObject({
      via: 'carbon',
      direction: 'out',
      peer: 'bob@example.org',
    })
    expect(parseMessage(carbon('mallory@example.org'), me)).toBeNull()
    const result = (from: string | undefined) =>
      msg(
        from ? { from } : {},
        el(
          'result',
          { xmlns: 'urn:xmpp:mam:2', queryid: 'q', id: 'A1' },
          el(
            'forwarded',
            { xmlns: 'urn:xmpp:forward:0' },
            el('delay', { xmlns: 'urn:xmpp:delay', stamp: '2020-01-02T03:04:05Z' }),
            inner,
          ),
        ),
      )
    expect(parseMessage(result(undefined), me)).toMatchObject({
      via: 'archive',
      archiveId: 'A1',
      sentAt: Date.UTC(2020, 0, 2, 3, 4, 5),
    })
    expect(parseMessage(result('mallory@example.org'), me)).toBeNull()
  })

  it('takes from a room’s archive only that room’s own messages', () => {
    const result = (inner: XmlElement) =>
      msg(
        { from: 'room@muc.example.org', to: 'me@example.org/cairn' },
        el(
          'result',
          { xmlns: 'urn:xmpp:mam:2', queryid: 'q', id: 'R1' },
          el('forwarded', { xmlns: 'urn:xmpp:forward:0' }, inner),
        ),
      )
    expect(
      parseMessage(
        result(
          msg(
            { from: 'room@muc.example.org/Bob', type: 'groupchat', id: 'g' },
            el('body', {}, 'said in the room'),
          ),
        ),
        me,
      ),
    ).toMatchObject({ via: 'archive', kind: 'group', peer: 'room@muc.example.org', sender: 'Bob' })
    // A room (any server can host one) cannot put words in a contact's mouth, or in ours,
    // nor mark our messages read, nor speak for another room.
    for (const inner of [
      msg(
        { from: 'bob@example.org/phone', to: 'me@example.org', type: 'chat', id: 'b' },
        el('body', {}, 'forged from bob'),
      ),
      msg(
        { from: 'me@example.org/phone', to: 'bob@example.org', type: 'chat', id: 'm' },
        el('body', {}, 'forged from me'),
      ),
      msg(
        { from: 'bob@example.org/phone', to: 'me@example.org', type: 'chat' },
        el('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: 'mine' }),
      ),
      msg(
        { from: 'other@muc.example.org/Eve', type: 'groupchat', id: 'o' },
        el('body', {}, 'forged in another room'),
      ),
    ])
      expect(parseMessage(result(inner), me), inner.toString()).toBeNull()
  })

  it('reads group chat messages, receipts, markers and typing', () => {
    expect(
      parseMessage(
        msg(
          { from: 'room@muc.example.org/Bob', type: 'groupchat', id: 'g' },
          el('body', {}, 'hey all'),
        ),
        me,
      ),
    ).toMatchObject({ kind: 'group', peer: 'room@muc.example.org', sender: 'Bob' })
    expect(
      parseMessage(
        msg(
          { from: 'bob@example.org/p', type: 'chat' },
          el('received', { xmlns: 'urn:xmpp:receipts', id: 'r1' }),
          el('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: 'd1' }),
          el('composing', { xmlns: 'http://jabber.org/protocol/chatstates' }),
        ),
        me,
      ),
    ).toMatchObject({ body: null, receiptFor: 'r1', displayedFor: 'd1', chatState: 'composing' })
    expect(
      parseMessage(msg({ from: 'not a jid', type: 'chat' }, el('body', {}, 'x')), me),
    ).toBeNull()
  })
})
