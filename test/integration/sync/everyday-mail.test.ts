import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FolderActions } from '../../../main/mail/actions/folder-actions'
import { MailActions } from '../../../main/mail/actions/message-actions'
import { ComposeService } from '../../../main/mail/compose/compose-service'
import { Uploads } from '../../../main/mail/compose/uploads'
import { messageDetail } from '../../../main/mail/read/read-ops'
import { SendService } from '../../../main/mail/send/send-service'
import { seedMaildir } from '../../support/dovecot'
import { useMailServers } from '../../support/mail-servers'
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

const USERS = [
  'undo',
  'folders',
  'alice',
  'bob',
  'dana',
  'erin',
  'frank',
  'gina',
  'hugo',
  'ivy',
].map((name) => ({
  name,
  password: `${name}-password`,
}))

const servers = useMailServers({ users: USERS })
const { cert } = servers

function addAccount(world: SyncWorld, user: string) {
  return addTestAccount(world, user, imapsSettings(servers.dovecot, cert, user), {
    host: '127.0.0.1',
    port: servers.postfix.submissionPort,
    security: 'starttls',
    username: user,
    caFile: cert.caFile,
  })
}

const idOf = (world: SyncWorld, messageId: string) =>
  world.db
    .prepare<[string], { id: number }>('SELECT id FROM messages WHERE message_id = ?')
    .get(messageId)?.id

async function onServer<T>(
  user: string,
  work: (c: Awaited<ReturnType<typeof otherClient>>) => Promise<T>,
) {
  const client = await otherClient(servers.dovecot, cert, user, `${user}-password`)
  try {
    return await work(client)
  } finally {
    await client.logout()
  }
}

const folderOf = (world: SyncWorld, id: number) =>
  world.db
    .prepare<[number], { path: string }>(
      'SELECT f.path FROM messages m JOIN folders f ON f.id = m.folder_id WHERE m.id = ?',
    )
    .get(id)?.path

function services(world: SyncWorld) {
  const folders = new FolderActions(world.db, world.accounts.credentials)
  const actions = new MailActions(world.db, world.sync, folders)
  return { folders, actions }
}

/** The compose service as the app composes it, on a sync world (drafts uploaded only when asked). */
function composeService(world: SyncWorld, send: SendService | null): ComposeService {
  return new ComposeService({
    db: world.db,
    attachmentsDir: join(world.dir, 'attachments'),
    mail: { getMessage: async (id) => messageDetail(world.db, id) },
    accounts: world.accounts,
    send,
    credentials: world.accounts.credentials,
    folders: new FolderActions(world.db, world.accounts.credentials),
    uploads: new Uploads(join(world.dir, 'cache'), join(world.dir, 'attachments')),
    uploadDelayMs: 60_000,
  })
}

describe('everyday mail on an IMAP account', () => {
  it('undoes a delete before it reached the server, and an archive after, leaving both copies in INBOX', async () => {
    seedMaildir(
      servers.dovecot,
      'undo',
      [0, 1, 2].map((i) => ({ raw: realisticMessage(i) })),
    )
    const world = await openSyncWorld()
    try {
      const accountId = await addAccount(world, 'undo')
      await world.sync.syncOnce(accountId)
      const { actions } = services(world)
      const m0 = idOf(world, 'msg-0@example.org')!
      const m1 = idOf(world, 'msg-1@example.org')!

      // Delete and undo with nothing replayed between: the server copy never moves for good.
      await actions.delete([m0])
      expect(folderOf(world, m0)).toBe('Trash')
      await actions.undo()
      expect(folderOf(world, m0)).toBe('Inbox')
      await world.sync.syncOnce(accountId)
      expect(folderOf(world, m0)).toBe('Inbox')
      expect(world.db.prepare('SELECT count(*) AS n FROM sync_actions').get()).toEqual({ n: 0 })
      await onServer('undo', async (c) => {
        expect([...(await serverMessageIds(c, 'INBOX')).values()].sort()).toEqual([
          'msg-0@example.org',
          'msg-1@example.org',
          'msg-2@example.org',
        ])
      })

      // Archive, let it reach the server, then undo: it comes back to INBOX there too.
      await actions.archive([m1])
      await world.sync.syncOnce(accountId)
      await onServer('undo', async (c) => {
        expect([...(await serverMessageIds(c, 'Archive')).values()]).toEqual(['msg-1@example.org'])
      })
      await actions.undo()
      await world.sync.syncOnce(accountId)
      await onServer('undo', async (c) => {
        expect((await serverMessageIds(c, 'Archive')).size).toBe(0)
        expect([...(await serverMessageIds(c, 'INBOX')).values()]).toContain('msg-1@example.org')
      })

      // A star reaches the server.
      await actions.setFlags([idOf(world, 'msg-2@example.org')!], { flagged: true })
      await world.sync.syncOnce(accountId)
      const flags = await onServer('undo', async (c) => {
        await c.mailboxOpen('INBOX')
        const out: string[] = []
        for await (const m of c.fetch('1:*', { flags: true, envelope: true }))
          if (m.envelope?.messageId === '<msg-2@example.org>') out.push(...(m.flags ?? []))
        return out
      })
      expect(flags).toContain('\\Flagged')
      for (const path of ['INBOX', 'Archive', 'Trash'])
        await onServer('undo', async (c) =>
          expect([...localMessageIds(world.db, accountId, path).entries()].sort()).toEqual(
            [...(await serverMessageIds(c, path)).entries()].sort(),
          ),
        )
    } finally {
      await world.close()
    }
  })

  it('creates, nests, renames and deletes folders on the server, and a sync changes nothing after', async () => {
    const world = await openSyncWorld()
    try {
      const accountId = await addAccount(world, 'folders')
      await world.sync.syncOnce(accountId)
      const { folders } = services(world)
      const projects = await folders.create(accountId, null, 'Projects')
      const year = await folders.create(accountId, projects, '2026')
      const serverPaths = () =>
        onServer('folders', async (c) => (await c.list()).map((m) => m.path).sort())
      let paths = await serverPaths()
      expect(paths).toContain('Projects')
      expect(paths.some((p) => /^Projects[./]2026$/.test(p))).toBe(true)

      await folders.rename(projects, 'Work')
      paths = await serverPaths()
      expect(paths).not.toContain('Projects')
      expect(paths.some((p) => /^Work[./]2026$/.test(p))).toBe(true)
      const local = () =>
        world.db
          .prepare<[number], { path: string }>(
            'SELECT path FROM folders WHERE account_id = ? ORDER BY path',
          )
          .all(accountId)
          .map((r) => r.path)
      expect(local()).toEqual(expect.arrayContaining(['Work', 'Work/2026']))

      // The next sync finds the folders where the store put them: no duplicates, no losses.
      await world.sync.syncOnce(accountId)
      expect(local().filter((p) => p.startsWith('Work'))).toEqual(['Work', 'Work/2026'])
      expect(local().some((p) => p.startsWith('Projects'))).toBe(false)
      expect(year).toBeGreaterThan(0)

      await folders.delete(projects)
      paths = await serverPaths()
      expect(paths.some((p) => p.startsWith('Work'))).toBe(false)
      await world.sync.syncOnce(accountId)
      expect(local().some((p) => p.startsWith('Work'))).toBe(false)
    } finally {
      await world.close()
    }
  })

  it('saves a draft to Drafts (one copy), sends it with an attachment, then replies and forwards', async () => {
    const alice = await openSyncWorld()
    const bob = await openSyncWorld()
    const made: ComposeService[] = []
    const compose = (world: SyncWorld) => {
      const send = new SendService(world.db, world.accounts.credentials)
      const service = composeService(world, send)
      made.push(service)
      return {
        send,
        service,
        uploads: new Uploads(join(world.dir, 'cache'), join(world.dir, 'attachments')),
      }
    }
    try {
      const aliceId = await addAccount(alice, 'alice')
      const bobId = await addAccount(bob, 'bob')
      await alice.sync.syncOnce(aliceId)
      await bob.sync.syncOnce(bobId)
      const a = compose(alice)
      a.service.setSignature(aliceId, '<p>Alice, from the hills</p>')

      const draft = await a.service.start({ kind: 'new' })
      expect(draft.html).toContain('Alice, from the hills')
      const bytes = Buffer.from('minutes of the meeting\n'.repeat(1000))
      const { uploadId } = a.uploads.begin({
        filename: 'minutes.txt',
        mimeType: 'text/plain',
        size: bytes.length,
      })
      a.uploads.chunk(uploadId, 0, bytes)
      a.service.attach(draft.id, a.uploads.finish(uploadId))
      a.service.save(draft.id, {
        to: [{ name: 'Bob', address: 'bob@example.test' }],
        subject: 'Minutes',
        html: '<p>Here are the <b>minutes</b>.</p>',
      })
      await a.service.uploadNow(draft.id)
      a.service.save(draft.id, { html: '<p>Here are the <b>minutes</b>, corrected.</p>' })
      await a.service.uploadNow(draft.id)
      expect(a.service.get(draft.id)).toMatchObject({ uploadError: null })
      const drafts = await onServer('alice', (c) => serverMessageIds(c, 'Drafts'))
      expect(drafts.size).toBe(1)

      await a.service.send(draft.id)
      await a.send.flush()
      expect(a.service.list()).toEqual([])
      await waitFor(
        async () => (await onServer('bob', (c) => serverMessageIds(c, 'INBOX'))).size === 1,
        20_000,
      )
      await waitFor(
        async () => (await onServer('alice', (c) => serverMessageIds(c, 'Drafts'))).size === 0,
        20_000,
      )

      // Bob reads it: HTML with a plain-text alternative, the attachment intact.
      await bob.sync.syncOnce(bobId)
      const received = bob.db
        .prepare<[], { id: number }>(`SELECT id FROM messages WHERE subject = 'Minutes'`)
        .get()!.id
      await bob.sync.ensureBody(received)
      const detail = messageDetail(bob.db, received)
      expect(detail.text).toContain('Here are the minutes, corrected.')
      expect(detail.html).toContain('<b>minutes</b>')
      expect(detail.attachments.map((x) => [x.filename, x.size])).toEqual([
        ['minutes.txt', bytes.length],
      ])

      // Bob replies: to Alice, "Re:", threaded, her words quoted.
      const b = compose(bob)
      const reply = await b.service.start({ kind: 'reply', messageId: received })
      expect(reply.to.map((x) => x.address)).toEqual(['alice@example.test'])
      expect(reply.subject).toBe('Re: Minutes')
      expect(reply.html).toMatch(/wrote:/)
      expect(reply.html).toContain('corrected')
      await b.service.send(reply.id)
      await b.send.flush()

      // And forwards it to himself with the attachment.
      const forward = await b.service.start({ kind: 'forward', messageId: received })
      expect(forward.subject).toBe('Fwd: Minutes')
      expect(forward.attachments.map((x) => x.filename)).toEqual(['minutes.txt'])
      b.service.save(forward.id, { to: [{ name: '', address: 'bob@example.test' }] })
      await b.service.send(forward.id)
      await b.send.flush()

      await waitFor(
        async () =>
          [...(await onServer('alice', (c) => serverMessageIds(c, 'INBOX'))).values()].length === 1,
      )
      await alice.sync.syncOnce(aliceId)
      const replyRow = alice.db
        .prepare<[], { in_reply_to: string; thread_id: number; subject: string }>(
          `SELECT in_reply_to, thread_id, subject FROM messages WHERE subject = 'Re: Minutes'`,
        )
        .get()
      const sentRow = alice.db
        .prepare<[], { message_id: string; thread_id: number }>(
          `SELECT message_id, thread_id FROM messages WHERE subject = 'Minutes'`,
        )
        .get()
      expect(replyRow?.in_reply_to).toBe(sentRow?.message_id)
      expect(replyRow?.thread_id).toBe(sentRow?.thread_id)
      await waitFor(
        async () => (await onServer('bob', (c) => serverMessageIds(c, 'INBOX'))).size === 2,
        20_000,
      )
      await bob.sync.syncOnce(bobId)
      const fwd = bob.db
        .prepare<[], { id: number }>(`SELECT id FROM messages WHERE subject = 'Fwd: Minutes'`)
        .get()!.id
      await bob.sync.ensureBody(fwd)
      expect(messageDetail(bob.db, fwd).attachments.map((x) => [x.filename, x.size])).toEqual([
        ['minutes.txt', bytes.length],
      ])
    } finally {
      for (const s of made) await s.close()
      await alice.close()
      await bob.close()
    }
  })
})

/** A draft as another client writes it into Drafts. */
const draftSource = (messageId: string, subject: string) =>
  `From: dana@example.test\r\nTo: eve@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${messageId}>\r\nDate: Tue, 3 Mar 2026 10:00:00 +0000\r\n\r\n${subject}\r\n`

describe('drafts in the Drafts folder', () => {
  it('replaces only the copies of the draft being edited, not a draft whose Message-ID contains its own', async () => {
    // Written by another client; IMAP's SEARCH HEADER matches a substring, so looking
    // for the copies of <7@host.example> also found <17@host.example> and deleted it.
    const other = await otherClient(servers.dovecot, cert, 'dana', 'dana-password')
    try {
      await other.append('Drafts', draftSource('7@host.example', 'seven'), ['\\Draft'])
      await other.append('Drafts', draftSource('17@host.example', 'seventeen'), ['\\Draft'])
    } finally {
      await other.logout()
    }
    const world = await openSyncWorld()
    const service = composeService(world, null)
    try {
      const accountId = await addAccount(world, 'dana')
      await world.sync.syncOnce(accountId)
      const seven = world.db
        .prepare<[], { id: number }>(`SELECT id FROM messages WHERE message_id = '7@host.example'`)
        .get()!.id
      const edited = await service.editDraftMessage(seven)
      service.save(edited.id, { subject: 'seven, edited' })
      await service.uploadNow(edited.id)
      expect(service.get(edited.id).uploadError).toBeNull()

      const onServer = async () => {
        const client = await otherClient(servers.dovecot, cert, 'dana', 'dana-password')
        try {
          return [...(await serverMessageIds(client, 'Drafts')).values()].sort()
        } finally {
          await client.logout()
        }
      }
      expect(await onServer()).toEqual(['17@host.example', '7@host.example'])
      await service.discard(edited.id)
      expect(await onServer()).toEqual(['17@host.example'])
    } finally {
      await service.close()
      await world.close()
    }
  })

  it('refuses to edit a message from INBOX as a draft, leaving Drafts and the drafts list untouched', async () => {
    // "Edit draft" takes a message id from the renderer; a compromised one (or a bug)
    // could name any message, which would be copied into Drafts under its Message-ID.
    await onServer('erin', (c) =>
      c.append('INBOX', draftSource('inbox-1@host.example', 'not a draft'), ['\\Seen']),
    )
    const world = await openSyncWorld()
    const service = composeService(world, null)
    try {
      const accountId = await addAccount(world, 'erin')
      await world.sync.syncOnce(accountId)
      const inboxMessage = idOf(world, 'inbox-1@host.example')!
      await expect(service.editDraftMessage(inboxMessage)).rejects.toMatchObject({
        code: 'ACTION_NOT_ALLOWED',
        message: expect.stringMatching(/Only a message in a Drafts folder/),
      })
      expect(service.list()).toEqual([])
      await service.uploadPending()
      expect((await onServer('erin', (c) => serverMessageIds(c, 'Drafts'))).size).toBe(0)
    } finally {
      await service.close()
      await world.close()
    }
  })
})

/** The full sources of the messages in one of `user`'s folders, oldest first. */
const sourcesIn = (user: string, path: string) =>
  onServer(user, async (c) => {
    const lock = await c.getMailboxLock(path)
    try {
      const out: string[] = []
      if ((c.mailbox ? c.mailbox.exists : 0) === 0) return out
      for await (const m of c.fetch('1:*', { uid: true, source: true }, { uid: true }))
        out.push(m.source?.toString('utf8') ?? '')
      return out
    } finally {
      lock.release()
    }
  })

describe('Bcc in drafts', () => {
  it('keeps Bcc in the Drafts copy, restores it on another device, and sends without a Bcc header', async () => {
    const laptop = await openSyncWorld()
    const desktop = await openSyncWorld()
    const onLaptop = composeService(laptop, null)
    const send = new SendService(desktop.db, desktop.accounts.credentials)
    const onDesktop = composeService(desktop, send)
    const ivy = { name: 'Ivy Ärger', address: 'ivy@example.test' }
    try {
      const laptopId = await addAccount(laptop, 'frank')
      await laptop.sync.syncOnce(laptopId)
      const draft = await onLaptop.start({ kind: 'new' })
      onLaptop.save(draft.id, {
        to: [{ name: 'Gina', address: 'gina@example.test' }],
        bcc: [ivy],
        subject: 'Surprise party',
        html: '<p>Saturday, not a word to anyone.</p>',
      })
      await onLaptop.uploadNow(draft.id)
      expect(onLaptop.get(draft.id).uploadError).toBeNull()
      const [copy] = await sourcesIn('frank', 'Drafts')
      expect(copy).toMatch(/^Bcc: .*ivy@example\.test/m)

      // The same account on another computer (or after a restore): the draft comes from Drafts.
      const desktopId = await addAccount(desktop, 'frank')
      await desktop.sync.syncOnce(desktopId)
      const inDrafts = desktop.db
        .prepare<[], { id: number }>(`SELECT id FROM messages WHERE subject = 'Surprise party'`)
        .get()!.id
      await desktop.sync.ensureBody(inDrafts)
      const resumed = await onDesktop.editDraftMessage(inDrafts)
      expect(resumed.to).toEqual([{ name: 'Gina', address: 'gina@example.test' }])
      expect(resumed.bcc).toEqual([ivy])

      await onDesktop.send(resumed.id)
      await send.flush()
      expect(send.outbox()).toEqual([])
      await waitFor(
        async () => (await onServer('ivy', (c) => serverMessageIds(c, 'INBOX'))).size === 1,
        20_000,
      )
      // The bytes sent are the bytes filed in Sent: no Bcc header in them.
      const sent = await sourcesIn('frank', 'Sent')
      expect(sent).toHaveLength(1)
      expect(sent[0]).toMatch(/^Subject: Surprise party/m)
      expect(sent[0]).not.toMatch(/^Bcc:/im)
      expect(sent[0]).not.toContain('ivy@example.test')
    } finally {
      await onLaptop.close()
      await onDesktop.close()
      await laptop.close()
      await desktop.close()
    }
  })
})

describe('replying', () => {
  it('decodes the names in Reply-To as it decodes From: raw UTF-8 and encoded words', async () => {
    // RFC 6532 lets a header carry UTF-8 as it is; Reply-To was read as latin1 and the
    // reply went to "JÃ¼rgen MÃ¼ller" while the reader showed From as "Jürgen Müller".
    const source = Buffer.from(
      [
        'From: Jürgen Müller <juergen@example.test>',
        'Reply-To: Jürgen Müller <help@example.test>, =?ISO-8859-1?Q?Ren=E9e?= <renee@example.test>',
        'To: hugo@example.test',
        'Subject: Der Plan',
        'Message-ID: <plan-1@example.test>',
        'Date: Tue, 3 Mar 2026 10:00:00 +0000',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Bis morgen.',
        '',
      ].join('\r\n'),
      'utf8',
    )
    await onServer('hugo', (c) => c.append('INBOX', source))
    const world = await openSyncWorld()
    const service = composeService(world, null)
    try {
      const accountId = await addAccount(world, 'hugo')
      await world.sync.syncOnce(accountId)
      const id = idOf(world, 'plan-1@example.test')!
      await world.sync.ensureBody(id)
      expect(messageDetail(world.db, id).from.name).toBe('Jürgen Müller')
      const reply = await service.start({ kind: 'reply', messageId: id })
      expect(reply.to).toEqual([
        { name: 'Jürgen Müller', address: 'help@example.test' },
        { name: 'Renée', address: 'renee@example.test' },
      ])
    } finally {
      await service.close()
      await world.close()
    }
  })
})
