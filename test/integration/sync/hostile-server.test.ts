import { describe, expect, it } from 'vitest'
import { seedMaildir } from '../../support/dovecot'
import { hostileImap } from '../../support/hostile-imap'
import {
  localMessageIds,
  openSyncWorld,
  realisticMessage,
  type SyncWorld,
} from '../../support/sync-world'
import { isCairnError } from '../../../main/shared/errors'
import { pendingActionCount, setFlagsLocally } from '../../../main/mail/sync/local-actions'

const hostile = hostileImap([
  'garbage',
  'literal',
  'drop',
  'mime',
  'uidzero',
  'refusedstore',
  'samename',
])

const counts = (world: SyncWorld) =>
  world.db
    .prepare<[], { messages: number; full: number; unavailable: number }>(
      `SELECT (SELECT count(*) FROM messages) AS messages,
              (SELECT count(*) FROM remote_messages WHERE state = 'full') AS full,
              (SELECT count(*) FROM remote_messages WHERE body_error IS NOT NULL) AS unavailable`,
    )
    .get()!

describe('a server that misbehaves', () => {
  it('answering garbage mid-transfer: a clear error state, nothing stored lost, and a complete sync once it behaves', async () => {
    seedMaildir(
      hostile.dovecot,
      'garbage',
      Array.from({ length: 300 }, (_, i) => ({ raw: realisticMessage(i) })),
    )
    // The spoiled answer never ends; silence beyond the socket timeout fails the command.
    const world = await openSyncWorld(undefined, undefined, { socketTimeoutMs: 3000 })
    try {
      const accountId = await hostile.addAccount(world, 'garbage')
      hostile.relay.tamper = { kind: 'garbage', afterSourceBytes: 200_000 }
      const error = await world.sync.syncOnce(accountId).catch((e: unknown) => e)
      expect(isCairnError(error)).toBe(true)
      expect(world.sync.states()[0]?.status).toMatch(/^(error|offline)$/)
      expect(world.sync.states()[0]?.message).toBeTruthy()
      const during = counts(world)
      expect(during.messages).toBe(300) // every header was stored before the bodies went wrong
      expect(during.full).toBeLessThan(300)

      hostile.relay.tamper = { kind: 'pass' }
      await world.sync.syncOnce(accountId)
      expect(counts(world)).toEqual({ messages: 300, full: 300, unavailable: 0 })
      expect(world.sync.states()[0]?.status).toBe('idle')
    } finally {
      hostile.relay.tamper = { kind: 'pass' }
      await world.close()
    }
  })

  it('announcing a 2 GB message: refused without reading it, kept as headers only, the rest synced', async () => {
    seedMaildir(
      hostile.dovecot,
      'literal',
      Array.from({ length: 20 }, (_, i) => ({ raw: realisticMessage(i) })),
    )
    const world = await openSyncWorld()
    try {
      const accountId = await hostile.addAccount(world, 'literal')
      const rssBefore = process.memoryUsage().rss
      hostile.relay.tamper = { kind: 'huge-literal' }
      await expect(world.sync.syncOnce(accountId)).rejects.toSatisfy((e: unknown) =>
        isCairnError(e),
      )
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024)
      hostile.relay.tamper = { kind: 'pass' }
      await world.sync.syncOnce(accountId)
      expect(counts(world)).toEqual({ messages: 20, full: 19, unavailable: 1 })
      const reason = world.db
        .prepare(`SELECT body_error FROM remote_messages WHERE body_error IS NOT NULL`)
        .get() as { body_error: string }
      expect(reason.body_error).toMatch(/larger than Cairn accepts/)
      // And it is not asked for again and again.
      const [again] = await world.sync.syncOnce(accountId)
      expect(again?.bodies).toBe(0)
      expect(world.sync.states()[0]?.status).toBe('idle')
    } finally {
      hostile.relay.tamper = { kind: 'pass' }
      await world.close()
    }
  })

  it('dropping the connection during the transfer: offline, then resumed with nothing lost or doubled', async () => {
    seedMaildir(
      hostile.dovecot,
      'drop',
      Array.from({ length: 50 }, (_, i) => ({ raw: realisticMessage(i) })),
    )
    const world = await openSyncWorld()
    try {
      const accountId = await hostile.addAccount(world, 'drop')
      hostile.relay.tamper = { kind: 'drop-during-bodies' }
      await expect(world.sync.syncOnce(accountId)).rejects.toSatisfy((e: unknown) =>
        isCairnError(e, 'ACCOUNT_UNREACHABLE'),
      )
      expect(world.sync.states()[0]?.status).toBe('offline')
      hostile.relay.tamper = { kind: 'pass' }
      await world.sync.syncOnce(accountId)
      expect(counts(world)).toEqual({ messages: 50, full: 50, unavailable: 0 })
      expect(localMessageIds(world.db, accountId, 'INBOX').size).toBe(50)
    } finally {
      hostile.relay.tamper = { kind: 'pass' }
      await world.close()
    }
  })

  it('sending broken MIME and an unknown charset: stored, readable as far as it goes, source kept', async () => {
    const broken = [
      // A multipart whose closing boundary never comes, with invalid base64 in it.
      'From: a@example.org\r\nTo: mime@example.test\r\nSubject: Broken\r\nMessage-ID: <broken@example.org>\r\nMIME-Version: 1.0\r\n' +
        'Content-Type: multipart/mixed; boundary="nope"\r\n\r\n--nope\r\nContent-Type: text/plain\r\n\r\nvisible part\r\n--nope\r\n' +
        'Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64###\r\n',
      // A charset nobody knows, in the header and the body.
      'From: =?x-klingon?Q?Worf?= <worf@example.org>\r\nTo: mime@example.test\r\nSubject: =?x-klingon?B?cWFwbGEh?=\r\n' +
        'Message-ID: <charset@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nnuqneH batlh\r\n',
      // No header/body separator at all, and an 8-bit header.
      'From: b@example.org\r\nSubject: caf\xe9 cr\xe8me\r\nMessage-ID: <eightbit@example.org>\r\nno blank line then',
    ]
    seedMaildir(
      hostile.dovecot,
      'mime',
      broken.map((raw) => ({ raw: Buffer.from(raw, 'latin1') })),
    )
    const world = await openSyncWorld()
    try {
      const accountId = await hostile.addAccount(world, 'mime')
      await world.sync.syncOnce(accountId)
      expect(localMessageIds(world.db, accountId, 'INBOX').size).toBe(3)
      const row = (mid: string) =>
        world.db
          .prepare<[string], { id: number; subject: string; body_text: string }>(
            'SELECT id, subject, body_text FROM messages WHERE message_id = ?',
          )
          .get(mid)!
      expect(row('broken@example.org').body_text).toContain('visible part')
      expect(row('charset@example.org').body_text).toContain('nuqneH batlh')
      expect(row('eightbit@example.org').subject).toMatch(/caf/)
      for (const mid of ['broken@example.org', 'charset@example.org', 'eightbit@example.org'])
        expect(world.sync.source(row(mid).id)?.length).toBeGreaterThan(0)
      expect(world.sync.states()[0]?.status).toBe('idle')
    } finally {
      await world.close()
    }
  })
})

describe('a FETCH answer with a hostile value', () => {
  it('UID 0 on one message: that message is left out, the rest of the mailbox syncs', async () => {
    seedMaildir(
      hostile.dovecot,
      'uidzero',
      [0, 1, 2].map((i) => ({ raw: realisticMessage(i) })),
    )
    seedMaildir(
      hostile.dovecot,
      'uidzero',
      [10, 11].map((i) => ({ raw: realisticMessage(i) })),
      'Archive',
    )
    // The server answers UID 0 for the message whose UID is 3 (only INBOX has one; same
    // length, so literals stay right).
    hostile.relay.tamper = {
      kind: 'rewrite',
      rewrite: (text) => text.replace(/(FETCH \(UID )3([ )])/g, '$10$2'),
    }
    const world = await openSyncWorld()
    try {
      const accountId = await hostile.addAccount(world, 'uidzero')
      const outcome = await world.sync.syncOnce(accountId).then(
        () => 'synced',
        (e: unknown) => `failed: ${String(e)}`,
      )
      expect(outcome).toBe('synced')
      expect(world.sync.states()[0]?.status).toBe('idle')
      expect(localMessageIds(world.db, accountId, 'INBOX').size).toBe(2)
      expect(localMessageIds(world.db, accountId, 'Archive').size).toBe(2)
      // Once the server behaves, the message it mangled arrives too.
      hostile.relay.tamper = { kind: 'pass' }
      await world.sync.syncOnce(accountId)
      expect(localMessageIds(world.db, accountId, 'INBOX').size).toBe(3)
    } finally {
      hostile.relay.tamper = { kind: 'pass' }
      await world.close()
    }
  })
})

describe('a queued action the server answers NO to', () => {
  it('a refused flag change stays queued and is retried, then given up and reported, never taken as done', async () => {
    seedMaildir(
      hostile.dovecot,
      'refusedstore',
      [0, 1].map((i) => ({ raw: realisticMessage(i) })),
    )
    const world = await openSyncWorld()
    try {
      const accountId = await hostile.addAccount(world, 'refusedstore')
      await world.sync.syncOnce(accountId)
      const { id } = world.db
        .prepare<[], { id: number }>(
          `SELECT id FROM messages WHERE message_id = 'msg-1@example.org'`,
        )
        .get()!
      setFlagsLocally(world.db, [id], { flagged: true })
      hostile.relay.tamper = {
        kind: 'rewrite',
        rewrite: (text) =>
          text.replace(/^(\S+) OK Store completed[^\r\n]*/m, '$1 NO [SERVERBUG] Store failed'),
      }
      const [first] = await world.sync.syncOnce(accountId)
      expect(first?.actionsDropped).toEqual([])
      expect(pendingActionCount(world.db, accountId)).toBe(1)
      const dropped: { kind: string; reason: string }[] = []
      for (let i = 0; i < 6 && pendingActionCount(world.db, accountId) > 0; i++) {
        const [report] = await world.sync.syncOnce(accountId)
        dropped.push(...(report?.actionsDropped ?? []))
      }
      expect(pendingActionCount(world.db, accountId)).toBe(0)
      expect(dropped).toMatchObject([{ kind: 'flags' }])
    } finally {
      hostile.relay.tamper = { kind: 'pass' }
      await world.close()
    }
  })
})

describe('a folder list with two names for one place in the folder tree', () => {
  it('"Archive" and "Archive/": both get a folder, the account still syncs', async () => {
    seedMaildir(
      hostile.dovecot,
      'samename',
      [0, 1].map((i) => ({ raw: realisticMessage(i) })),
    )
    seedMaildir(
      hostile.dovecot,
      'samename',
      [10, 11].map((i) => ({ raw: realisticMessage(i) })),
      'Archive',
    )
    // "Archive/" (an empty child name) shows as Archive too, whatever Dovecot then says of it.
    hostile.relay.tamper = {
      kind: 'rewrite',
      rewrite: (text) =>
        text.replace(/^(\S+ OK List completed)/m, '* LIST (\\HasNoChildren) "/" "Archive/"\r\n$1'),
    }
    const world = await openSyncWorld()
    try {
      const accountId = await hostile.addAccount(world, 'samename')
      const outcome = await world.sync.syncOnce(accountId).then(
        () => 'synced',
        (e: unknown) => `failed: ${String(e)}`,
      )
      expect(outcome).toBe('synced')
      expect(localMessageIds(world.db, accountId, 'INBOX').size).toBe(2)
      expect(localMessageIds(world.db, accountId, 'Archive').size).toBe(2)
      const paths = world.db
        .prepare<[number], { path: string }>(
          'SELECT path FROM folders WHERE account_id = ? ORDER BY path',
        )
        .all(accountId)
        .map((f) => f.path)
      expect(paths).toEqual(expect.arrayContaining(['Archive', 'Archive (2)', 'Inbox']))
    } finally {
      hostile.relay.tamper = { kind: 'pass' }
      await world.close()
    }
  })
})
