import { describe, expect, it } from 'vitest'
import { seedMaildir } from '../../support/dovecot'
import { hostileImap } from '../../support/hostile-imap'
import { openSyncWorld, realisticMessage, type SyncWorld } from '../../support/sync-world'

const hostile = hostileImap(['swapped'])

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
