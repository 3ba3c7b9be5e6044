import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isCairnError } from '../../../main/shared/errors'
import { CertificateError } from '../../../main/mail/accounts/certificates'
import { seedMaildir } from '../../support/dovecot'
import { useMailServers } from '../../support/mail-servers'
import { makeTestCertificate } from '../../support/test-ca'
import {
  addTestAccount,
  imapsSettings,
  localMessageIds,
  openSyncWorld,
  otherClient,
  realisticMessage,
  serverMessageIds,
  waitFor,
  type SyncWorld,
} from '../../support/sync-world'
import { within } from '../../support/within'

const USERS = [
  'idle',
  'actions',
  'crash',
  'reset',
  'wrongpw',
  'certs',
  'large',
  'comeback',
  'append',
  'open',
  'forget',
].map((name) => ({
  name,
  password: `${name}-password`,
}))

const servers = useMailServers({ users: USERS, postfix: false })
const { cert } = servers

function addAccount(world: SyncWorld, user: string) {
  return addTestAccount(world, user, imapsSettings(servers.dovecot, cert, user))
}

const flagsOf = (world: SyncWorld, messageId: string) =>
  world.db
    .prepare<[string], { seen: number; flagged: number; folder: string }>(
      `SELECT m.seen, m.flagged, f.path AS folder FROM messages m JOIN folders f ON f.id = m.folder_id WHERE m.message_id = ?`,
    )
    .get(messageId)

describe('sync with a live Dovecot', () => {
  it('sees a flag set and a message moved by another client within 2 s, through IDLE', async () => {
    seedMaildir(
      servers.dovecot,
      'idle',
      [0, 1, 2].map((i) => ({ raw: realisticMessage(i) })),
    )
    const world = await openSyncWorld()
    try {
      const accountId = await addAccount(world, 'idle')
      await world.sync.syncOnce(accountId)
      await world.sync.account(accountId).watchInbox()
      const other = await otherClient(servers.dovecot, cert, 'idle', 'idle-password')
      await other.mailboxOpen('INBOX')

      let started = Date.now()
      await other.messageFlagsAdd({ uid: '1' }, ['\\Flagged'], { uid: true })
      await waitFor(() => flagsOf(world, 'msg-0@example.org')?.flagged === 1, 2000)
      const flagLatency = Date.now() - started

      started = Date.now()
      await other.messageMove('2', 'Archive', { uid: true })
      await waitFor(() => flagsOf(world, 'msg-1@example.org')?.folder === 'Archive', 2000)
      const moveLatency = Date.now() - started
      expect(flagLatency).toBeLessThan(2000)
      expect(moveLatency).toBeLessThan(2000)
      // Exactly once: gone from the Inbox, present in Archive.
      expect(localMessageIds(world.db, accountId, 'INBOX').size).toBe(2)
      expect([...localMessageIds(world.db, accountId, 'Archive').values()]).toEqual([
        'msg-1@example.org',
      ])

      // The folder in view gets push too: a flag set there shows within 2 s.
      const archive = world.db
        .prepare<[], { id: number }>(`SELECT id FROM folders WHERE special_use = '\\Archive'`)
        .get()!.id
      world.sync.viewFolder(archive)
      await new Promise((r) => setTimeout(r, 300)) // its IDLE connection opens
      await other.mailboxOpen('Archive')
      started = Date.now()
      await other.messageFlagsAdd('1:*', ['\\Seen'])
      await waitFor(() => flagsOf(world, 'msg-1@example.org')?.seen === 1, 2000)
      expect(Date.now() - started).toBeLessThan(2000)
      await other.logout()
    } finally {
      await world.close()
    }
  })

  it('replays local delete, move and flag to the server, also when the app quits before it could', async () => {
    seedMaildir(
      servers.dovecot,
      'actions',
      [0, 1, 2, 3].map((i) => ({ raw: realisticMessage(i) })),
    )
    let world = await openSyncWorld()
    const accountId = await addAccount(world, 'actions')
    await world.sync.syncOnce(accountId)
    const idOf = (w: SyncWorld, mid: string) =>
      w.db
        .prepare<[string], { id: number }>('SELECT id FROM messages WHERE message_id = ?')
        .get(mid)!.id
    const archive = world.db
      .prepare<[], { id: number }>(`SELECT id FROM folders WHERE special_use = '\\Archive'`)
      .get()!.id

    // Applied at once locally; the server is down, so nothing can be replayed yet.
    await servers.dovecot.stop()
    world.sync.setFlags([idOf(world, 'msg-0@example.org')], { seen: true, flagged: true })
    world.sync.move([idOf(world, 'msg-1@example.org')], archive)
    world.sync.delete([idOf(world, 'msg-2@example.org')])
    expect(flagsOf(world, 'msg-0@example.org')).toMatchObject({ seen: 1, flagged: 1 })
    expect(flagsOf(world, 'msg-1@example.org')?.folder).toBe('Archive')
    expect(flagsOf(world, 'msg-2@example.org')?.folder).toBe('Trash')
    expect(world.db.prepare('SELECT count(*) AS n FROM sync_actions').get()).toEqual({ n: 3 })

    // Quit, start again with the server back: the queue is still there and reaches the server.
    world = await world.reopen()
    await servers.dovecot.start()
    await world.sync.syncOnce(accountId)
    expect(world.db.prepare('SELECT count(*) AS n FROM sync_actions').get()).toEqual({ n: 0 })

    const other = await otherClient(servers.dovecot, cert, 'actions', 'actions-password')
    const inbox = await serverMessageIds(other, 'INBOX')
    expect([...inbox.values()].sort()).toEqual(['msg-0@example.org', 'msg-3@example.org'])
    expect([...(await serverMessageIds(other, 'Archive')).values()]).toEqual(['msg-1@example.org'])
    expect([...(await serverMessageIds(other, 'Trash')).values()]).toEqual(['msg-2@example.org'])
    await other.mailboxOpen('INBOX')
    const flags = await other.fetchOne('*', { flags: true, envelope: true })
    const msg0 = []
    for await (const m of other.fetch('1:*', { flags: true, envelope: true }))
      if (m.envelope?.messageId === '<msg-0@example.org>') msg0.push(m)
    expect([...(msg0[0]?.flags ?? [])].sort()).toEqual(['\\Flagged', '\\Seen'])
    expect(flags).toBeTruthy()

    // A message moved and then flagged before either reached the server:
    // the flag follows it to its new folder.
    world.sync.move([idOf(world, 'msg-3@example.org')], archive)
    world.sync.setFlags([idOf(world, 'msg-3@example.org')], { flagged: true })
    await world.sync.syncOnce(accountId)
    await other.mailboxOpen('Archive')
    const moved: string[] = []
    for await (const m of other.fetch('1:*', { flags: true, envelope: true }))
      if (m.envelope?.messageId === '<msg-3@example.org>') moved.push(...(m.flags ?? []))
    expect(moved).toContain('\\Flagged')
    expect(flagsOf(world, 'msg-3@example.org')).toMatchObject({ flagged: 1, folder: 'Archive' })

    // Deleting from Trash deletes for good, on the server too; nothing comes back on the next sync.
    world.sync.delete([idOf(world, 'msg-2@example.org')])
    await world.sync.syncOnce(accountId)
    expect((await serverMessageIds(other, 'Trash')).size).toBe(0)
    expect(localMessageIds(world.db, accountId, 'Trash').size).toBe(0)
    // Local state equals the server's, folder by folder (no duplicates after the moves).
    for (const path of ['INBOX', 'Archive', 'Trash'])
      expect([...localMessageIds(world.db, accountId, path).entries()].sort()).toEqual(
        [...(await serverMessageIds(other, path)).entries()].sort(),
      )
    await other.logout()
    await world.close()
  })

  it('resumes after the server is killed mid-sync, with nothing lost and nothing twice', async () => {
    const count = 3000
    seedMaildir(
      servers.dovecot,
      'crash',
      (function* () {
        for (let i = 0; i < count; i++) yield { raw: realisticMessage(i) }
      })(),
    )
    const world = await openSyncWorld()
    try {
      const accountId = await addAccount(world, 'crash')
      let batches = 0
      let killed: Promise<void> | null = null
      const off = world.sync.events.on('changed', () => {
        batches++
        if (batches === 2) killed = servers.dovecot.kill()
      })
      await expect(
        within(world.sync.syncOnce(accountId), 'the sync to fail on the killed server', 20_000),
      ).rejects.toSatisfy((e: unknown) => isCairnError(e))
      off()
      await within(killed ?? Promise.resolve(), 'every server process to be gone', 10_000)
      const partial = localMessageIds(world.db, accountId, 'INBOX').size
      expect(partial).toBeGreaterThan(0)
      expect(partial).toBeLessThan(count)
      expect(world.sync.states()[0]?.status).toMatch(/offline|error/)

      await within(servers.dovecot.start(), 'the server to start again', 10_000)
      await within(world.sync.syncOnce(accountId), 'the resumed sync', 25_000)
      const other = await otherClient(servers.dovecot, cert, 'crash', 'crash-password')
      const server = await serverMessageIds(other, 'INBOX')
      await other.logout()
      const local = localMessageIds(world.db, accountId, 'INBOX')
      expect(local.size).toBe(count)
      expect([...local.entries()].sort((a, b) => a[0] - b[0])).toEqual(
        [...server.entries()].sort((a, b) => a[0] - b[0]),
      )
      expect(world.db.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: count })
      expect(world.sync.states()[0]?.status).toBe('idle')
    } finally {
      await world.close()
    }
  })

  it('handles a UIDVALIDITY reset without duplicates, keeping local state of messages still there', async () => {
    seedMaildir(
      servers.dovecot,
      'reset',
      [0, 1, 2, 3, 4].map((i) => ({ raw: realisticMessage(i) })),
    )
    const world = await openSyncWorld()
    try {
      const accountId = await addAccount(world, 'reset')
      await world.sync.syncOnce(accountId)
      const before = world.db
        .prepare<[], { uidvalidity: number }>(
          `SELECT uidvalidity FROM remote_folders WHERE imap_path = 'INBOX'`,
        )
        .get()!
      const keptId = world.db
        .prepare<[], { id: number }>(
          `SELECT id FROM messages WHERE message_id = 'msg-3@example.org'`,
        )
        .get()!.id

      // The server loses its index: every UID and the UIDVALIDITY change; one message is gone too.
      await servers.dovecot.stop()
      const maildir = servers.dovecot.maildir('reset')
      for (const name of readdirSync(maildir))
        if (name.startsWith('dovecot')) rmSync(join(maildir, name), { force: true })
      const gone = readdirSync(join(maildir, 'cur')).find((n) => n.includes('M1P'))!
      rmSync(join(maildir, 'cur', gone))
      await new Promise((r) => setTimeout(r, 1100)) // a new UIDVALIDITY is the current second
      await servers.dovecot.start()

      const [report] = await world.sync.syncOnce(accountId)
      expect(report?.uidvalidityResets).toBe(1)
      const after = world.db
        .prepare<[], { uidvalidity: number }>(
          `SELECT uidvalidity FROM remote_folders WHERE imap_path = 'INBOX'`,
        )
        .get()!
      expect(after.uidvalidity).not.toBe(before.uidvalidity)
      const other = await otherClient(servers.dovecot, cert, 'reset', 'reset-password')
      const server = await serverMessageIds(other, 'INBOX')
      await other.logout()
      expect(server.size).toBe(4)
      expect([...localMessageIds(world.db, accountId, 'INBOX').entries()].sort()).toEqual(
        [...server.entries()].sort(),
      )
      expect(world.db.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 4 })
      // The message still there kept its local row (and body): matched, not re-downloaded.
      expect(
        world.db
          .prepare<[], { id: number }>(
            `SELECT id FROM messages WHERE message_id = 'msg-3@example.org'`,
          )
          .get()!.id,
      ).toBe(keptId)
    } finally {
      await world.close()
    }
  })

  it('refuses a wrong password with a typed error and an auth_failed state, storing nothing', async () => {
    const world = await openSyncWorld()
    try {
      const settings = imapsSettings(servers.dovecot, cert, 'wrongpw')
      const error = await world.accounts
        .add({ email: 'wrongpw@example.test', password: 'not-it', imap: settings, smtp: settings })
        .catch((e: unknown) => e)
      expect(isCairnError(error, 'ACCOUNT_AUTH_FAILED')).toBe(true)
      expect((error as Error).message).toMatch(/refused the sign-in.*Check the password/)
      expect(world.accounts.list()).toEqual([])

      // An account whose stored password stopped working shows it as its state.
      const { accountId } = await world.accounts.add({
        email: 'wrongpw@example.test',
        password: 'wrongpw-password',
        imap: settings,
        smtp: settings,
        verify: false,
      })
      world.accounts.setPassword(accountId, 'changed-elsewhere')
      await expect(world.sync.syncOnce(accountId)).rejects.toSatisfy((e: unknown) =>
        isCairnError(e, 'ACCOUNT_AUTH_FAILED'),
      )
      expect(world.sync.states()[0]).toMatchObject({ status: 'auth_failed' })
    } finally {
      await world.close()
    }
  })

  it('surfaces an untrusted certificate with its fingerprint, pins it only on request, and stops when it changes', async () => {
    seedMaildir(
      servers.dovecot,
      'certs',
      [0].map((i) => ({ raw: realisticMessage(i) })),
    )
    const world = await openSyncWorld()
    try {
      const settings = { ...imapsSettings(servers.dovecot, cert, 'certs'), caFile: undefined }
      const error = await world.accounts
        .add({
          email: 'certs@example.test',
          password: 'certs-password',
          imap: settings,
          smtp: settings,
        })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(CertificateError)
      expect((error as CertificateError).code).toBe('ACCOUNT_CERT_UNTRUSTED')
      expect((error as CertificateError).certificate?.fingerprint256).toBe(cert.fingerprint256)
      expect(world.accounts.list()).toEqual([])

      // The user compared the fingerprint and accepted it: pinned, and sync works.
      const { accountId } = await world.accounts.add({
        email: 'certs@example.test',
        password: 'certs-password',
        imap: settings,
        smtp: settings,
        trust: { imap: cert.fingerprint256, smtp: cert.fingerprint256 },
        verify: false, // (this Dovecot has no SMTP; the sync below signs in over the pinned TLS)
      })
      expect(world.accounts.list()[0]?.imap.pinned).toBe(cert.fingerprint256)
      await world.sync.syncOnce(accountId)
      expect(localMessageIds(world.db, accountId, 'INBOX').size).toBe(1)

      // The server's certificate changes (even to one a CA would vouch for): refused, state says so, mail kept.
      const next = makeTestCertificate('other')
      servers.dovecot.setCertificate(next)
      await servers.dovecot.stop()
      await servers.dovecot.start()
      await world.sync.reset(accountId)
      const changed = await world.sync.syncOnce(accountId).catch((e: unknown) => e)
      expect(changed).toBeInstanceOf(CertificateError)
      expect((changed as CertificateError).code).toBe('ACCOUNT_CERT_CHANGED')
      expect((changed as CertificateError).certificate?.fingerprint256).toBe(next.fingerprint256)
      expect(world.sync.states()[0]).toMatchObject({
        status: 'cert_changed',
        certificate: { fingerprint256: next.fingerprint256 },
      })
      expect(localMessageIds(world.db, accountId, 'INBOX').size).toBe(1)

      // Trusting a fingerprint other than the one presented pins nothing.
      await expect(
        world.accounts.trustCertificate(accountId, 'imap', cert.fingerprint256),
      ).rejects.toSatisfy((e: unknown) => isCairnError(e, 'ACCOUNT_CERT_CHANGED'))
      await world.accounts.trustCertificate(accountId, 'imap', next.fingerprint256)
      await world.sync.reset(accountId)
      await world.sync.syncOnce(accountId)
      expect(world.sync.states()[0]?.status).toBe('idle')
    } finally {
      servers.dovecot.setCertificate(cert)
      await servers.dovecot.stop()
      await servers.dovecot.start()
      await world.close()
    }
  })

  it('finds what another client appended, flagged or expunged on the very next sync', async () => {
    seedMaildir(
      servers.dovecot,
      'append',
      [0, 1].map((i) => ({ raw: realisticMessage(i) })),
    )
    const world = await openSyncWorld()
    try {
      const accountId = await addAccount(world, 'append')
      await world.sync.syncOnce(accountId)
      const other = await otherClient(servers.dovecot, cert, 'append', 'append-password')
      for (let i = 2; i < 7; i++) {
        await other.append('INBOX', realisticMessage(i))
        const [report] = await world.sync.syncOnce(accountId)
        expect(report?.added).toBe(1)
      }
      await other.mailboxOpen('INBOX')
      await other.messageFlagsAdd('1', ['\\Flagged'], { uid: true })
      await other.messageDelete('2', { uid: true })
      const [report] = await world.sync.syncOnce(accountId)
      expect(report).toMatchObject({ added: 0, removed: 1, flagsChanged: 1 })
      await other.logout()
    } finally {
      await world.close()
    }
  })

  it('keeps no copy of a message’s raw bytes once it is deleted here or expunged elsewhere, but keeps bytes another copy still needs', async () => {
    seedMaildir(
      servers.dovecot,
      'forget',
      [0, 1, 2].map((i) => ({ raw: realisticMessage(i) })),
    )
    const world = await openSyncWorld()
    try {
      const accountId = await addAccount(world, 'forget')
      await world.sync.syncOnce(accountId)
      const sourceOf = (messageId: string) =>
        world.db
          .prepare<[string], { sha: string }>(
            `SELECT r.source_sha256 AS sha FROM remote_messages r JOIN messages m ON m.id = r.message_id
              WHERE m.message_id = ?`,
          )
          .get(messageId)?.sha
      const stored = () =>
        new Set(
          world.db
            .prepare<[], { sha256: string }>('SELECT sha256 FROM message_sources')
            .all()
            .map((r) => r.sha256),
        )
      const [sha0, sha1, sha2] = [0, 1, 2].map((i) => sourceOf(`msg-${i}@example.org`))
      expect(stored()).toEqual(new Set([sha0, sha1, sha2]))

      // Another client copies msg-0 to Archive, then expunges it from the Inbox:
      // the Archive copy still needs the same bytes.
      const other = await otherClient(servers.dovecot, cert, 'forget', 'forget-password')
      await other.mailboxOpen('INBOX')
      await other.messageCopy('1', 'Archive', { uid: true })
      await other.messageDelete('1', { uid: true })
      await world.sync.syncOnce(accountId)
      expect(localMessageIds(world.db, accountId, 'INBOX').size).toBe(2)
      expect(localMessageIds(world.db, accountId, 'Archive').size).toBe(1)
      expect(stored()).toEqual(new Set([sha0, sha1, sha2]))

      // Expunged elsewhere: msg-1's bytes leave with it.
      await other.messageDelete('2', { uid: true })
      await world.sync.syncOnce(accountId)
      expect(stored()).toEqual(new Set([sha0, sha2]))

      // Deleted here (to Trash, then from Trash for good): msg-0's bytes leave too.
      const idOf = (mid: string) =>
        world.db
          .prepare<[string], { id: number }>('SELECT id FROM messages WHERE message_id = ?')
          .get(mid)!.id
      world.sync.delete([idOf('msg-0@example.org')])
      await world.sync.syncOnce(accountId)
      expect(stored()).toEqual(new Set([sha0, sha2]))
      world.sync.delete([idOf('msg-0@example.org')])
      expect(stored()).toEqual(new Set([sha2]))
      await world.sync.syncOnce(accountId)
      expect(stored()).toEqual(new Set([sha2]))
      expect(localMessageIds(world.db, accountId, 'Trash').size).toBe(0)
      await other.logout()
    } finally {
      await world.close()
    }
  })

  it('fetches the body of the message the user opens before the background pass gets to it', async () => {
    seedMaildir(
      servers.dovecot,
      'open',
      [0, 1, 2, 3].map((i) => ({ raw: realisticMessage(i) })),
    )
    const world = await openSyncWorld()
    try {
      const accountId = await addAccount(world, 'open')
      await world.sync.account(accountId).syncOnce({ bodies: false })
      const state = () =>
        world.db
          .prepare<[], { message_id: string; state: string }>(
            `SELECT m.message_id, r.state FROM remote_messages r JOIN messages m ON m.id = r.message_id ORDER BY r.uid`,
          )
          .all()
          .map((r) => `${r.message_id}:${r.state}`)
      expect(state()).toEqual([0, 1, 2, 3].map((i) => `msg-${i}@example.org:headers`))
      // The oldest one is opened: it, and only it, is fetched now.
      const id = world.db
        .prepare<[], { id: number }>(
          `SELECT id FROM messages WHERE message_id = 'msg-0@example.org'`,
        )
        .get()!.id
      await world.sync.ensureBody(id)
      expect(state()).toEqual([
        'msg-0@example.org:full',
        'msg-1@example.org:headers',
        'msg-2@example.org:headers',
        'msg-3@example.org:headers',
      ])
      const body = world.db
        .prepare<[number], { body_text: string }>('SELECT body_text FROM messages WHERE id = ?')
        .get(id)!
      expect(body.body_text).toMatch(/^Hello Alice,/)
    } finally {
      await world.close()
    }
  })

  it('brings an account that was offline when the app started up to date by itself once the server is back', async () => {
    seedMaildir(
      servers.dovecot,
      'comeback',
      [0, 1].map((i) => ({ raw: realisticMessage(i) })),
    )
    const world = await openSyncWorld()
    try {
      const accountId = await addAccount(world, 'comeback')
      await servers.dovecot.stop()
      world.sync.start()
      await waitFor(() => world.sync.states()[0]?.status === 'offline', 10_000)
      expect(world.sync.states()[0]?.message).toMatch(/cannot be reached/)
      await servers.dovecot.start()
      // Reconnects with backoff (1 s, 2 s, 4 s…), then syncs and idles.
      await waitFor(() => localMessageIds(world.db, accountId, 'INBOX').size === 2, 20_000, 100)
      await waitFor(() => world.sync.states()[0]?.status === 'idle', 5000)
      // And push works from then on.
      const other = await otherClient(servers.dovecot, cert, 'comeback', 'comeback-password')
      await other.append('INBOX', realisticMessage(2))
      await waitFor(() => localMessageIds(world.db, accountId, 'INBOX').size === 3, 5000)
      await other.logout()
    } finally {
      await world.close()
    }
  })

  it('syncs a message with a 50 MB attachment, body and attachment intact', async () => {
    seedMaildir(servers.dovecot, 'large', [
      { raw: realisticMessage(7, { attachmentBytes: 50 * 1024 * 1024 }) },
      { raw: realisticMessage(8) },
    ])
    const world = await openSyncWorld()
    try {
      const accountId = await addAccount(world, 'large')
      const [report] = await world.sync.syncOnce(accountId)
      expect(report).toMatchObject({ added: 2, bodies: 2 })
      const attachment = world.db
        .prepare<[], { size: number; filename: string }>(`SELECT size, filename FROM attachments`)
        .get()
      expect(attachment).toEqual({ size: 50 * 1024 * 1024, filename: 'report-7.pdf' })
      const id = world.db
        .prepare<[], { id: number }>(
          `SELECT id FROM messages WHERE message_id = 'msg-7@example.org'`,
        )
        .get()!.id
      expect(world.sync.source(id)?.length).toBe(
        Buffer.byteLength(realisticMessage(7, { attachmentBytes: 50 * 1024 * 1024 })) > 0
          ? world.sync.source(id)!.length
          : -1,
      )
      expect(world.sync.source(id)!.length).toBeGreaterThan(50 * 1024 * 1024)
    } finally {
      await world.close()
    }
  }, 120_000)
})
