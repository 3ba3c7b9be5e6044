import { describe, expect, it } from 'vitest'
import type { PrepareBody } from '../../../main/mail/sync/body-prepare'
import { seedMaildir } from '../../support/dovecot'
import { hostileImap } from '../../support/hostile-imap'
import { openSyncWorld, realisticMessage, type SyncWorld } from '../../support/sync-world'

const hostile = hostileImap(['swapped', 'understated', 'overlong'])

/** Stored bodies: Message-ID → the sender number its text ends with ("Best, Sender 2"). */
const bodies = (world: SyncWorld) =>
  new Map(
    world.db
      .prepare<[], { message_id: string; body_text: string }>(
        `SELECT m.message_id, m.body_text FROM messages m
           JOIN remote_messages r ON r.message_id = m.id WHERE r.state = 'full'`,
      )
      .all()
      .map((r) => [r.message_id, /Sender (\d+)\s*$/.exec(r.body_text)?.[1]]),
  )

describe('a body FETCH answer for the wrong message', () => {
  it('two sources answered under each other’s UID: neither is stored as the other, both arrive once the server behaves', async () => {
    seedMaildir(
      hostile.dovecot,
      'swapped',
      [0, 1, 2].map((i) => ({ raw: realisticMessage(i) })),
    )
    // Same length, so the literals stay right: UID 2's source (msg-1) comes labelled UID 3 and back.
    hostile.relay.tamper = {
      kind: 'rewrite',
      rewrite: (text) =>
        text.replace(
          /(FETCH \(UID )([23])((?: MODSEQ \(\d+\))? BODY\[\])/g,
          (_m, head: string, uid: string, tail: string) =>
            `${head}${uid === '2' ? '3' : '2'}${tail}`,
        ),
    }
    const world = await openSyncWorld()
    try {
      const accountId = await hostile.addAccount(world, 'swapped')
      await world.sync.syncOnce(accountId)
      const during = bodies(world)
      expect(during.get('msg-0@example.org')).toBe('0')
      for (const [messageId, sender] of during) expect(messageId).toBe(`msg-${sender}@example.org`)

      hostile.relay.tamper = { kind: 'pass' }
      await world.sync.syncOnce(accountId)
      expect(bodies(world)).toEqual(
        new Map([
          ['msg-0@example.org', '0'],
          ['msg-1@example.org', '1'],
          ['msg-2@example.org', '2'],
        ]),
      )
    } finally {
      hostile.relay.tamper = { kind: 'pass' }
      await world.close()
    }
  })
})

describe('a server that announces every message as 1 byte and sends large bodies', () => {
  it('holds a bounded number of received bytes while the parsers are slow, and still stores every body', async () => {
    const count = 48
    seedMaildir(
      hostile.dovecot,
      'understated',
      // About 1 MB each (an attachment of random bytes, base64).
      Array.from({ length: count }, (_, i) => ({
        raw: realisticMessage(i, { attachmentBytes: 760 * 1024 }),
      })),
    )
    hostile.relay.tamper = {
      kind: 'rewrite',
      rewrite: (text) => text.replace(/RFC822\.SIZE \d+/g, 'RFC822.SIZE 1'),
    }
    // Parsers slower than the link (one source every 100 ms): what arrived
    // and is not prepared yet is what the sync holds in memory.
    let held = 0
    let peak = 0
    let queue = Promise.resolve()
    const slow =
      (workers: PrepareBody): PrepareBody =>
      (raw) => {
        held += raw.byteLength
        peak = Math.max(peak, held)
        const turn = queue.then(() => new Promise((resolve) => setTimeout(resolve, 100)))
        queue = turn.then(() => undefined)
        return turn
          .then(() => workers(raw))
          .finally(() => {
            held -= raw.byteLength
          })
      }
    const world = await openSyncWorld(undefined, undefined, { prepare: slow })
    try {
      const accountId = await hostile.addAccount(world, 'understated')
      const [report] = await world.sync.syncOnce(accountId)
      const sizes = world.db
        .prepare<[], { size: number }>('SELECT m.size FROM messages m')
        .all()
        .map((r) => r.size)
      // The batch was sized by the lie (48 messages of 1 byte fit in one).
      expect(sizes).toEqual(Array.from({ length: count }, () => 1))
      expect(report?.bodies).toBe(count)
      expect(bodies(world).size).toBe(count)
      // 48 MB arrived; at most 16 MB of it (and the source that crossed the line) waited at once.
      expect(peak).toBeLessThan(20 * 1024 * 1024)
    } finally {
      hostile.relay.tamper = { kind: 'pass' }
      await world.close()
    }
  })
})

describe('a server that announces a message as 1 byte and sends more than Cairn keeps per message', () => {
  it('keeps that message’s headers with the reason, stores none of its source, and syncs the rest of the folder', async () => {
    seedMaildir(hostile.dovecot, 'overlong', [
      { raw: realisticMessage(0) },
      // About 3 MB, over the 1 MB limit this profile keeps per message.
      { raw: realisticMessage(1, { attachmentBytes: 2200 * 1024 }) },
      { raw: realisticMessage(2) },
    ])
    hostile.relay.tamper = {
      kind: 'rewrite',
      rewrite: (text) => text.replace(/RFC822\.SIZE \d+/g, 'RFC822.SIZE 1'),
    }
    const world = await openSyncWorld(undefined, undefined, { maxMessageBytes: 1024 * 1024 })
    try {
      const accountId = await hostile.addAccount(world, 'overlong')
      const [report] = await world.sync.syncOnce(accountId)
      expect(report?.bodies).toBe(2)
      expect(bodies(world)).toEqual(
        new Map([
          ['msg-0@example.org', '0'],
          ['msg-2@example.org', '2'],
        ]),
      )
      const overlong = world.db
        .prepare<[], { state: string; body_error: string | null; source_sha256: string | null }>(
          `SELECT r.state, r.body_error, r.source_sha256 FROM remote_messages r
             JOIN messages m ON m.id = r.message_id WHERE m.message_id = 'msg-1@example.org'`,
        )
        .get()
      expect(overlong).toMatchObject({ state: 'headers', source_sha256: null })
      expect(overlong?.body_error).toMatch(
        /said it is 1 byte but sent 3 MB, more than the 1 MB .*only its headers are kept/,
      )
      // Only the two bodies' sources are kept; the oversized one is not in the profile.
      const sources = world.db
        .prepare<[], { n: number }>('SELECT count(*) AS n FROM message_sources')
        .get()
      expect(sources?.n).toBe(2)
      // The next sync does not fetch it again.
      const [again] = await world.sync.syncOnce(accountId)
      expect(again?.bodies).toBe(0)
    } finally {
      hostile.relay.tamper = { kind: 'pass' }
      await world.close()
    }
  })
})
