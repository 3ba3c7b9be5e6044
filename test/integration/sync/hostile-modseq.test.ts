import { ImapFlow } from 'imapflow'
import { describe, expect, it } from 'vitest'
import { seedMaildir } from '../../support/dovecot'
import { hostileImap } from '../../support/hostile-imap'
import { openSyncWorld, realisticMessage } from '../../support/sync-world'

const USERS = ['modseq62', 'modseq63', 'backwards', 'vanished']

const hostile = hostileImap(USERS)

/** Another client, straight to Dovecot (not through the hostile.relay), marking a message read. */
async function markSeenOnServer(user: string, messageId: string) {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: hostile.dovecot.imapPort,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: `${user}-password` },
    logger: false,
  })
  await client.connect()
  try {
    await client.mailboxOpen('INBOX')
    const [uid] =
      (await client.search({ header: { 'message-id': messageId } }, { uid: true })) || []
    expect(uid).toBeDefined()
    await client.messageFlagsAdd(`${uid}`, ['\\Seen'], { uid: true })
  } finally {
    await client.logout()
  }
}

/**
 * The hostile.relay plays a server whose mod-sequences are Dovecot's plus `offset()`
 * (read when each chunk passes, so a test can move it between syncs): every
 * HIGHESTMODSEQ and MODSEQ going to Cairn is raised, every CHANGEDSINCE going
 * to Dovecot lowered back.
 */
function shiftModseqs(offset: () => bigint) {
  hostile.relay.tamper = {
    kind: 'rewrite',
    rewrite: (text) =>
      text.replace(
        /(HIGHESTMODSEQ |MODSEQ \()(\d+)/g,
        (_m, key: string, n: string) => `${key}${BigInt(n) + offset()}`,
      ),
    rewriteClient: (text) =>
      text.replace(/(CHANGEDSINCE )(\d+)/g, (_m, key: string, n: string) => {
        const value = BigInt(n) - offset()
        return `${key}${value > 0n ? value : 1n}`
      }),
  }
}

const seenOf = (world: Awaited<ReturnType<typeof openSyncWorld>>, messageId: string) =>
  world.db
    .prepare<[string], { seen: number }>('SELECT seen FROM messages WHERE message_id = ?')
    .get(messageId)?.seen

describe('a server with hostile mod-sequences', () => {
  // 2^62 is a valid 63-bit MODSEQ, which a JavaScript number holds only to
  // the nearest 1,024; 2^63 is beyond what RFC 7162 (and SQLite's INTEGER) allow.
  it.each([
    ['modseq62', 2n ** 62n],
    ['modseq63', 2n ** 63n],
  ])(
    'MODSEQ values beyond 2^53 (%s): the account syncs and a flag change is still seen',
    async (user, offset) => {
      seedMaildir(
        hostile.dovecot,
        user,
        [0, 1, 2].map((i) => ({ raw: realisticMessage(i) })),
      )
      shiftModseqs(() => offset)
      const world = await openSyncWorld()
      try {
        const accountId = await hostile.addAccount(world, user)
        await world.sync.syncOnce(accountId)
        expect(seenOf(world, 'msg-1@example.org')).toBe(0)
        await markSeenOnServer(user, 'msg-1@example.org')
        const [report] = await world.sync.syncOnce(accountId)
        expect(report?.flagsChanged).toBe(1)
        expect(seenOf(world, 'msg-1@example.org')).toBe(1)
      } finally {
        hostile.relay.tamper = { kind: 'pass' }
        await world.close()
      }
    },
  )

  it('HIGHESTMODSEQ going backwards (a server restored from a backup): flags are fetched again, not trusted to CHANGEDSINCE', async () => {
    seedMaildir(
      hostile.dovecot,
      'backwards',
      [0, 1, 2].map((i) => ({ raw: realisticMessage(i) })),
    )
    let offset = 1000n
    shiftModseqs(() => offset)
    const world = await openSyncWorld()
    try {
      const accountId = await hostile.addAccount(world, 'backwards')
      await world.sync.syncOnce(accountId)
      expect(seenOf(world, 'msg-1@example.org')).toBe(0)
      // The server now counts from far below the checkpoint Cairn holds.
      offset = 0n
      await markSeenOnServer('backwards', 'msg-1@example.org')
      await world.sync.syncOnce(accountId)
      await world.sync.syncOnce(accountId)
      expect(seenOf(world, 'msg-1@example.org')).toBe(1)
    } finally {
      hostile.relay.tamper = { kind: 'pass' }
      await world.close()
    }
  })

  it('VANISHED (EARLIER) 1:4294967295 in a CHANGEDSINCE answer: bounded memory, nothing lost for good', async () => {
    seedMaildir(
      hostile.dovecot,
      'vanished',
      [0, 1, 2].map((i) => ({ raw: realisticMessage(i) })),
    )
    const world = await openSyncWorld()
    try {
      const accountId = await hostile.addAccount(world, 'vanished')
      await world.sync.syncOnce(accountId)
      await markSeenOnServer('vanished', 'msg-1@example.org')
      // The tag of the flag fetch, to answer it with a VANISHED covering every UID there can be.
      let tag: string | null = null
      hostile.relay.tamper = {
        kind: 'rewrite',
        rewriteClient: (text) => {
          tag = /^(\S+) UID FETCH .*CHANGEDSINCE/m.exec(text)?.[1] ?? tag
          return text
        },
        rewrite: (text) =>
          tag === null
            ? text
            : text.replace(
                new RegExp(`^${tag} OK`, 'm'),
                `* VANISHED (EARLIER) 1:4294967295\r\n${tag} OK`,
              ),
      }
      // (imapflow still walks the range UID by UID, up to its cap of 2^24: seconds, not memory.)
      const rssBefore = process.memoryUsage().rss
      await world.sync.syncOnce(accountId)
      expect(tag).not.toBeNull()
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024)
      hostile.relay.tamper = { kind: 'pass' }
      await world.sync.syncOnce(accountId)
      expect(seenOf(world, 'msg-1@example.org')).toBe(1)
    } finally {
      hostile.relay.tamper = { kind: 'pass' }
      await world.close()
    }
  })
})
