import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useRealKeychain } from '../../support/keyring'
import { startTamperingRelay, type TamperingRelay } from '../../support/tampering-relay'
import { seedMaildir, startDovecot, type Dovecot } from '../../support/dovecot'
import { pendingActionCount, setFlagsLocally } from '../../../main/mail/sync/local-actions'
import {
  localMessageIds,
  openSyncWorld,
  realisticMessage,
  type SyncWorld,
} from '../../support/sync-world'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
let dovecot: Dovecot
let relay: TamperingRelay

beforeAll(async () => {
  keyring = await useRealKeychain()
  dovecot = await startDovecot({
    users: [
      { name: 'uidzero', password: 'uidzero-password' },
      { name: 'refusedstore', password: 'refusedstore-password' },
      { name: 'samename', password: 'samename-password' },
    ],
  })
  relay = await startTamperingRelay(dovecot.imapPort)
})
afterAll(async () => {
  await relay?.close()
  await dovecot?.stop()
  keyring?.stop()
})

async function addAccount(world: SyncWorld, user: string) {
  const server = { host: '127.0.0.1', port: relay.port, security: 'plain' as const, username: user }
  const { accountId } = await world.accounts.add({
    email: `${user}@example.test`,
    password: `${user}-password`,
    imap: server,
    smtp: server,
    verify: false,
  })
  return accountId
}

describe('a FETCH answer with a hostile value', () => {
  it('UID 0 on one message: that message is left out, the rest of the mailbox syncs', async () => {
    seedMaildir(
      dovecot,
      'uidzero',
      [0, 1, 2].map((i) => ({ raw: realisticMessage(i) })),
    )
    seedMaildir(
      dovecot,
      'uidzero',
      [10, 11].map((i) => ({ raw: realisticMessage(i) })),
      'Archive',
    )
    // The server answers UID 0 for the message whose UID is 3 (only INBOX has one; same
    // length, so literals stay right).
    relay.tamper = {
      kind: 'rewrite',
      rewrite: (text) => text.replace(/(FETCH \(UID )3([ )])/g, '$10$2'),
    }
    const world = await openSyncWorld()
    try {
      const accountId = await addAccount(world, 'uidzero')
      const outcome = await world.sync.syncOnce(accountId).then(
        () => 'synced',
        (e: unknown) => `failed: ${String(e)}`,
      )
      expect(outcome).toBe('synced')
      expect(world.sync.states()[0]?.status).toBe('idle')
      expect(localMessageIds(world.db, accountId, 'INBOX').size).toBe(2)
      expect(localMessageIds(world.db, accountId, 'Archive').size).toBe(2)
      // Once the server behaves, the message it mangled arrives too.
      relay.tamper = { kind: 'pass' }
      await world.sync.syncOnce(accountId)
      expect(localMessageIds(world.db, accountId, 'INBOX').size).toBe(3)
    } finally {
      relay.tamper = { kind: 'pass' }
      await world.close()
    }
  })
})

describe('a queued action the server answers NO to', () => {
  it('a refused flag change stays queued and is retried, then given up and reported, never taken as done', async () => {
    seedMaildir(
      dovecot,
      'refusedstore',
      [0, 1].map((i) => ({ raw: realisticMessage(i) })),
    )
    const world = await openSyncWorld()
    try {
      const accountId = await addAccount(world, 'refusedstore')
      await world.sync.syncOnce(accountId)
      const { id } = world.db
        .prepare<[], { id: number }>(
          `SELECT id FROM messages WHERE message_id = 'msg-1@example.org'`,
        )
        .get()!
      setFlagsLocally(world.db, [id], { flagged: true })
      relay.tamper = {
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
      relay.tamper = { kind: 'pass' }
      await world.close()
    }
  })
})

describe('a folder list with two names for one place in the folder tree', () => {
  it('"Archive" and "Archive/": both get a folder, the account still syncs', async () => {
    seedMaildir(
      dovecot,
      'samename',
      [0, 1].map((i) => ({ raw: realisticMessage(i) })),
    )
    seedMaildir(
      dovecot,
      'samename',
      [10, 11].map((i) => ({ raw: realisticMessage(i) })),
      'Archive',
    )
    // "Archive/" (an empty child name) shows as Archive too, whatever Dovecot then says of it.
    relay.tamper = {
      kind: 'rewrite',
      rewrite: (text) =>
        text.replace(/^(\S+ OK List completed)/m, '* LIST (\\HasNoChildren) "/" "Archive/"\r\n$1'),
    }
    const world = await openSyncWorld()
    try {
      const accountId = await addAccount(world, 'samename')
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
      relay.tamper = { kind: 'pass' }
      await world.close()
    }
  })
})
