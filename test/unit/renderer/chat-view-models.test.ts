import { describe, expect, it } from 'vitest'
import {
  applyPresence,
  badgeText,
  certificateReason,
  connectionLabel,
  conversationRows,
  dayLabel,
  fingerprintLines,
  firstUnseen,
  followsEnd,
  initials,
  mergeNewer,
  mergeOlder,
  sortContacts,
  tickOf,
  typingLabel,
  unreadTotals,
  visibleLine,
  visibleText,
  type MessageLike,
  type Show,
} from '../../../renderer/chat/view-models'

/** Local time (the view shows local days), 2026-03-<day> at <hour>:<minute>. */
const march = (day: number, hour = 12, minute = 0) => new Date(2026, 2, day, hour, minute).getTime()

let nextId = 1
function message(sentAt: number, change: Partial<MessageLike> = {}): MessageLike {
  const id = nextId++
  return { id, ord: id, direction: 'in', sender: 'bob@example.org', sentAt, seen: true, ...change }
}

describe('day separators', () => {
  it('puts one before the first message and one wherever the local day changes, even a minute apart', () => {
    const messages = [
      message(march(14, 9)),
      message(march(14, 23, 59)),
      message(march(15, 0, 0)),
      message(march(15, 8)),
      message(march(17, 10)),
    ]
    const rows = conversationRows(messages, { now: new Date(march(17, 18)), locale: 'en-GB' })
    expect(
      rows.map((r) =>
        r.kind === 'day' ? `[${r.label}]` : r.kind === 'message' ? r.message.id : r.kind,
      ),
    ).toEqual([
      '[Saturday]',
      messages[0]?.id,
      messages[1]?.id,
      '[Sunday]',
      messages[2]?.id,
      messages[3]?.id,
      '[Today]',
      messages[4]?.id,
    ])
  })

  it('keeps every row key when an older page of the same day is put above (the view anchors on keys)', () => {
    const newer = [message(march(14, 12)), message(march(14, 13)), message(march(15, 9))]
    const older = [message(march(13, 22)), message(march(14, 8))]
    const keys = (list: MessageLike[]) => conversationRows(list).map((r) => r.key)
    const before = keys(newer)
    const after = keys([...older, ...newer])
    expect(after.filter((key) => before.includes(key))).toEqual(before)
    expect(new Set(after).size).toBe(after.length)
  })

  it('gives a day that comes back out of order a separator of its own, with a key of its own', () => {
    const rows = conversationRows([message(march(14)), message(march(15)), message(march(14, 13))])
    const days = rows.filter((r) => r.kind === 'day').map((r) => r.key)
    expect(days).toHaveLength(3)
    expect(new Set(days).size).toBe(3)
  })

  it('says Today, Yesterday, the weekday within a week, then the date (with the year only when it differs)', () => {
    const now = new Date(march(17, 10))
    expect(dayLabel(march(17, 0, 1), now, 'en-GB')).toBe('Today')
    expect(dayLabel(march(16, 23, 59), now, 'en-GB')).toBe('Yesterday')
    expect(dayLabel(march(11), now, 'en-GB')).toBe('Wednesday')
    // (ICU versions differ on the comma after the weekday.)
    expect(dayLabel(march(10), now, 'en-GB')).toMatch(/^Tue,? 10 March$/)
    expect(dayLabel(new Date(2025, 11, 24).getTime(), now, 'en-GB')).toMatch(
      /^Wed,? 24 December 2025$/,
    )
  })

  it('counts calendar days across a daylight-saving change (a 23-hour day is still one day)', () => {
    const zone = process.env.TZ
    try {
      // Clocks go forward on 29 March 2026 in Europe and on 8 March in North America.
      for (const [tz, day] of [
        ['Europe/Berlin', 30],
        ['America/New_York', 9],
      ] as const) {
        process.env.TZ = tz
        const now = new Date(2026, 2, day, 12)
        const before = new Date(2026, 2, day - 1, 0, 30)
        expect(now.getTime() - before.getTime()).toBeLessThan(36 * 3600_000) // the short day
        expect(dayLabel(before.getTime(), now, 'en-GB'), tz).toBe('Yesterday')
        expect(dayLabel(new Date(2026, 2, day - 2, 23, 0).getTime(), now, 'en-GB'), tz).not.toBe(
          'Yesterday',
        )
      }
    } finally {
      if (zone === undefined) delete process.env.TZ
      else process.env.TZ = zone
    }
  })

  it('marks where new messages start, and shows a sender once per run (again after a separator)', () => {
    const a = message(march(16, 10), { sender: 'ann' })
    const b = message(march(16, 10, 1), { sender: 'ann' })
    const c = message(march(16, 10, 2), { sender: 'ann', seen: false })
    const d = message(march(16, 10, 3), { sender: 'ben', seen: false })
    const e = message(march(16, 10, 4), { direction: 'out', sender: 'me' })
    const rows = conversationRows([a, b, c, d, e], {
      now: new Date(march(16, 12)),
      unreadFromId: firstUnseen([a, b, c, d, e])?.id ?? null,
    })
    expect(rows.map((r) => r.kind)).toEqual([
      'day',
      'message',
      'message',
      'unread',
      'message',
      'message',
      'message',
    ])
    const runs = rows.flatMap((r) => (r.kind === 'message' ? [r.firstOfRun] : []))
    expect(runs).toEqual([true, false, true, true, true])
    // Every row has its own key (the list's virtualiser keys rows by it).
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length)
  })

  it('finds the first unseen incoming message, never one of ours', () => {
    const mine = message(march(16), { direction: 'out', seen: false })
    const read = message(march(16))
    const unread = message(march(16), { seen: false })
    expect(firstUnseen([mine, read, unread])).toBe(unread)
    expect(firstUnseen([mine, read])).toBeNull()
  })
})

describe('merging pages of a conversation', () => {
  it('adds newer messages once, keeps the store order, and takes the newer copy of a message (its tick moved)', () => {
    const [a, b, c] = [message(1), message(2), message(3)] as [
      MessageLike,
      MessageLike,
      MessageLike,
    ]
    const bRead = { ...b, seen: false, sender: 'updated' }
    const d = message(4)
    const merged = mergeNewer([a, b, c], [bRead, c, d])
    expect(merged.map((m) => m.id)).toEqual([a.id, b.id, c.id, d.id])
    expect(merged[1]).toBe(bRead)
  })

  it('drops what was shown when the newer page does not reach back to it (no silent gap)', () => {
    const shown = [message(1), message(2)]
    const later = [message(10), message(11)]
    expect(mergeNewer(shown, later)).toEqual(later)
  })

  it('puts older pages first, without doubles', () => {
    const [a, b, c] = [message(1), message(2), message(3)] as [
      MessageLike,
      MessageLike,
      MessageLike,
    ]
    expect(mergeOlder([b, c], [a, b]).map((m) => m.id)).toEqual([a.id, b.id, c.id])
    expect(mergeOlder([], [a])).toEqual([a])
  })
})

describe('delivery ticks', () => {
  it('shows nothing on incoming messages and the delivery state on ours', () => {
    expect(tickOf({ direction: 'in', state: 'received' })).toBeNull()
    const kinds = ['queued', 'sent', 'delivered', 'read', 'failed'].map(
      (state) => tickOf({ direction: 'out', state })?.kind,
    )
    expect(kinds).toEqual(['queued', 'sent', 'delivered', 'read', 'failed'])
    expect(tickOf({ direction: 'out', state: 'read' })?.label).toBe('Read')
    expect(
      tickOf({
        direction: 'out',
        state: 'failed',
        error: 'The message was not delivered (recipient-unavailable).',
      })?.label,
    ).toBe('Not sent: The message was not delivered (recipient-unavailable).')
  })
})

describe('unread counts', () => {
  it('adds up per account and in all, ignoring nonsense below zero', () => {
    const totals = unreadTotals([
      { accountId: 1, unread: 3 },
      { accountId: 2, unread: 4 },
      { accountId: 1, unread: 0 },
      { accountId: 1, unread: -2 },
    ])
    expect(totals.total).toBe(7)
    expect([...totals.byAccount]).toEqual([
      [1, 3],
      [2, 4],
    ])
  })

  it('shows nothing for 0 and caps the badge at 99+', () => {
    expect([0, 1, 99, 100, 12_345].map(badgeText)).toEqual(['', '1', '99', '99+', '99+'])
  })
})

describe('contacts by presence', () => {
  const contact = (jid: string, name: string, show: Show) => ({
    accountId: 1,
    jid,
    name,
    show,
    status: '',
  })

  it('lists available contacts first, then away, busy, offline; by name (case and accents aside), then address', () => {
    const sorted = sortContacts(
      [
        contact('zed@x', 'Zed', 'offline'),
        contact('eve@x', 'Ève', 'away'),
        contact('amy@x', 'amy', 'online'),
        contact('bob2@x', 'Bob', 'online'),
        contact('bob1@x', 'Bob', 'online'),
        contact('dan@x', 'Dan', 'dnd'),
        contact('carl@x', 'carl', 'chat'),
        contact('eva@x', 'eva', 'xa'),
        contact('noname@x', '', 'online'),
      ],
      'en',
    )
    expect(sorted.map((c) => c.jid)).toEqual([
      'amy@x',
      'bob1@x',
      'bob2@x',
      'carl@x',
      'noname@x',
      'eve@x',
      'eva@x',
      'dan@x',
      'zed@x',
    ])
  })

  it('applies changed presences to the right account’s contacts only, leaving the others as they were', () => {
    const a = contact('bob@x', 'Bob', 'offline')
    const b = { ...contact('bob@x', 'Bob', 'offline'), accountId: 2 }
    const c = contact('amy@x', 'Amy', 'online')
    const next = applyPresence(
      [a, b, c],
      [{ accountId: 1, jid: 'bob@x', show: 'away', status: 'lunch', resources: 1 }],
    )
    expect(next[0]).toMatchObject({ show: 'away', status: 'lunch' })
    expect(next[1]).toBe(b)
    expect(next[2]).toBe(c)
  })
})

describe('connection states in words', () => {
  const now = 1_000_000
  it('says what the state is and what the user can do', () => {
    expect(connectionLabel({ status: 'online', resumed: false }, now)).toMatchObject({
      tone: 'ok',
      short: 'Connected',
      action: 'none',
    })
    expect(connectionLabel({ status: 'connecting', attempt: 3 }, now).detail).toBe(
      'Connecting (attempt 3)…',
    )
    const waiting = connectionLabel(
      {
        status: 'waiting',
        retryAt: now + 12_400,
        error: { code: 'CHAT_UNREACHABLE', message: 'The server does not answer.' },
      },
      now,
    )
    expect(waiting).toMatchObject({ tone: 'warn', short: 'Retrying in 13 s', action: 'reconnect' })
    expect(waiting.detail).toBe('The server does not answer. Cairn tries again in 13 s.')
    expect(
      connectionLabel(
        { status: 'waiting', retryAt: now + 150_000, error: { code: 'X', message: 'x' } },
        now,
      ).short,
    ).toBe('Retrying in 3 min')
    expect(
      connectionLabel(
        { status: 'failed', error: { code: 'CHAT_AUTH_FAILED', message: 'Wrong.' } },
        now,
      ),
    ).toMatchObject({ tone: 'error', short: 'Wrong password', action: 'password' })
    expect(
      connectionLabel(
        { status: 'failed', error: { code: 'KEY_MISSING', message: 'No password.' } },
        now,
      ),
    ).toMatchObject({ short: 'Password needed', action: 'password' })
    expect(
      connectionLabel(
        {
          status: 'failed',
          error: { code: 'CHAT_TLS_UNTRUSTED', message: 'Cert.', fingerprint: 'AA' },
        },
        now,
      ),
    ).toMatchObject({ short: 'Untrusted certificate', action: 'certificate' })
    expect(connectionLabel({ status: 'offline' }, now).action).toBe('reconnect')
  })
})

describe('text from others', () => {
  it('shows control characters as symbols, removes bidi overrides, keeps tabs, new lines and joiners', () => {
    expect(visibleText('a\u0000b\u001bc\u007fd')).toBe('a\u2400b\u241bc\u2421d')
    expect(visibleText('x\u0085y\u009bz')).toBe('x\ufffdy\ufffdz')
    expect(visibleText('one\r\ntwo\rthree\tfour\nfive')).toBe('one\ntwo\nthree\tfour\nfive')
    expect(visibleText('report\u202egnp.exe and \u2066iso\u2069')).toBe('reportgnp.exe and iso')
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}'
    expect(visibleText(family)).toBe(family)
    expect(visibleText('<b>not bold</b> & <script>')).toBe('<b>not bold</b> & <script>')
  })

  it('keeps a name on one line', () => {
    expect(visibleLine('Bob\n\tthe\u202e builder')).toBe('Bob the builder')
  })

  it('makes initials from letters and digits only', () => {
    expect(initials('Zoë Quill')).toBe('ZQ')
    expect(initials('bob@example.org')).toBe('BE')
    expect(initials('🙂')).toBe('?')
  })

  it('typing: one, two, or how many', () => {
    expect(typingLabel([])).toBe('')
    expect(typingLabel(['bob'])).toBe('bob is typing…')
    expect(typingLabel(['bob', 'amy'])).toBe('bob and amy are typing…')
    expect(typingLabel(['a', 'b', 'c', 'd'])).toBe('4 people are typing…')
  })
})

describe('certificates shown for a decision', () => {
  it('groups a fingerprint in lines of eight bytes, whatever its spelling', () => {
    const fp =
      'ab:cd:ef:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89'
    expect(fingerprintLines(fp)).toEqual([
      'AB:CD:EF:01:23:45:67:89',
      'AB:CD:EF:01:23:45:67:89',
      'AB:CD:EF:01:23:45:67:89',
      'AB:CD:EF:01:23:45:67:89',
    ])
    expect(fingerprintLines(fp.replace(/:/g, ''))).toEqual(fingerprintLines(fp))
  })

  it('says why in words', () => {
    expect(certificateReason('DEPTH_ZERO_SELF_SIGNED_CERT')).toBe('it is signed by itself')
    expect(certificateReason('CERT_HAS_EXPIRED')).toBe('it has expired')
    expect(certificateReason('something else')).toBe('something else')
  })
})

describe('following the end of a conversation', () => {
  const view = { scrollHeight: 10_000, clientHeight: 600 }
  it('follows at the bottom, stops when the view moves up, and starts again at the bottom', () => {
    expect(followsEnd(false, { ...view, top: 9_400, lastTop: 2_000 })).toBe(true)
    expect(followsEnd(true, { ...view, top: 9_000, lastTop: 9_400 })).toBe(false)
    expect(followsEnd(false, { ...view, top: 9_200, lastTop: 9_000 })).toBe(false)
    expect(followsEnd(false, { ...view, top: 9_390, lastTop: 9_200 })).toBe(true)
  })

  it('keeps following when a scroll to the end lands short (rows measured taller than estimated)', () => {
    // The list grew while the view went down: not at the bottom, but it never moved up.
    expect(
      followsEnd(true, { scrollHeight: 12_000, clientHeight: 600, top: 9_400, lastTop: 8_800 }),
    ).toBe(true)
    expect(
      followsEnd(true, { scrollHeight: 12_000, clientHeight: 600, top: 9_400, lastTop: 9_400 }),
    ).toBe(true)
  })
})
