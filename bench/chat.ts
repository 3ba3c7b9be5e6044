/**
 * npm run bench:chat — chat against a private Prosody (Debian's, as the
 * tests start it). Three figures, each beside a reference:
 * - archive sync: a fresh profile fetches and stores a 50,000-message
 *   server archive (MAM); reference: the same archive read by a bare XMPP
 *   session that stores nothing (the server's own ceiling);
 * - send → receive latency between two connected profiles, p50/p95, one
 *   message at a time 20 ms apart (Cairn's include what it really sends:
 *   delivery receipts, stored by the server too); reference: two bare sessions;
 * - memory (RSS) of a process holding a profile with 500 contacts online
 *   and 200 conversations open.
 * Targets (issue 12): sync ≥ 2,000 msg/s, p95 ≤ 50 ms on loopback, RSS ≤ 250 MB.
 *
 *   CAIRN_BENCH_CHAT_ARCHIVE=10000 npm run bench:chat   a smaller archive
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChatService } from '../main/chat/chat-service.js'
import { archiveQuery } from '../main/chat/protocol/outgoing.js'
import { ensureChat } from '../main/chat/store/chats.js'
import { chatHistory, storeChatMessage } from '../main/chat/store/messages.js'
import { parseAccountJid } from '../main/chat/xmpp/jid.js'
import { XmppSession } from '../main/chat/xmpp/session.js'
import { el } from '../main/chat/xmpp/xml.js'
import { accountSecrets } from '../main/keychain/account-secrets.js'
import type { SecretStore } from '../main/keychain/keychain.js'
import { openMailDb } from '../main/mail/db/connection.js'
import { openProfile } from '../main/profile/profile.js'
import { startProsody, type ProsodyServer } from '../test/support/prosody.js'
import { fmt, percentile, printTable, rng, sentence, wordSource } from './support.js'

const ARCHIVE = Number(process.env.CAIRN_BENCH_CHAT_ARCHIVE ?? 50_000)
const LATENCY_ROUNDS = 300
/** A pause between probes, as between real messages: latency, not the server's backlog. */
const LATENCY_GAP_MS = 20
const PASSWORD = 'bench-password'

/** The bench measures chat, not the keychain: secrets stay in memory here. */
function memoryKeychain(): SecretStore {
  const map = new Map<string, string>()
  return {
    get: (k) => map.get(k) ?? null,
    set: (k, v) => void map.set(k, v),
    delete: (k) => map.delete(k),
  }
}

async function profileFor(server: ProsodyServer, user: string, work: string) {
  const profile = openProfile(join(work, user))
  const db = openMailDb(profile.paths.database)
  const chat = new ChatService(db, profile.paths, accountSecrets(memoryKeychain(), profile.id))
  const account = await chat.addAccount({
    jid: `${user}@localhost`,
    password: PASSWORD,
    server: server.server,
    ca: readFileSync(server.ca.caFile, 'utf8'),
  })
  return {
    chat,
    db,
    account,
    close: async () => {
      await chat.close()
      db.close()
      profile.close()
    },
  }
}

function bareSession(server: ProsodyServer, user: string, resource: string): XmppSession {
  return new XmppSession({
    jid: parseAccountJid(`${user}@localhost`) as NonNullable<ReturnType<typeof parseAccountJid>>,
    password: PASSWORD,
    resource,
    endpoint: { host: '127.0.0.1', port: server.port, directTls: false },
    trust: { ca: readFileSync(server.ca.caFile, 'utf8') },
  })
}

async function archiveSync(server: ProsodyServer, work: string) {
  console.log(`Seeding ${ARCHIVE.toLocaleString()} messages into alice's server archive…`)
  const random = rng(7)
  const word = wordSource(random)
  const start = Math.floor(Date.now() / 1000) - ARCHIVE * 60
  server.seedArchive(
    'alice',
    Array.from({ length: ARCHIVE }, (_, i) => {
      const fromBob = i % 2 === 0
      return {
        with: 'bob@localhost',
        from: fromBob ? 'bob@localhost/phone' : 'alice@localhost/laptop',
        to: fromBob ? 'alice@localhost' : 'bob@localhost',
        id: `seed-${i}`,
        body: sentence(word, 4 + Math.floor(random() * 20)),
        when: start + i * 60,
      }
    }),
  )

  console.log('Reference: a bare session reading the archive (stores nothing)…')
  const bare = bareSession(server, 'alice', 'reference')
  await bare.connect()
  let received = 0
  bare.events.on('stanza', () => received++)
  let started = process.hrtime.bigint()
  let after: string | null = null
  for (;;) {
    const answer = await bare.iq(archiveQuery({ queryId: 'ref', after, max: 250 }), 120_000)
    const fin = answer.child('fin', 'urn:xmpp:mam:2')
    after = fin?.child('set', 'http://jabber.org/protocol/rsm')?.childText('last') ?? null
    if (fin?.attrs.complete === 'true' || !after) break
  }
  const referenceSeconds = Number(process.hrtime.bigint() - started) / 1e9
  await bare.close()

  console.log('Cairn: a fresh profile syncing the archive…')
  const alice = await profileFor(server, 'alice', work)
  started = process.hrtime.bigint()
  const report = await alice.chat.syncOnce(alice.account.id)
  const cairnSeconds = Number(process.hrtime.bigint() - started) / 1e9
  const stored = (
    alice.db.prepare('SELECT count(*) AS n FROM chat_messages').get() as { n: number }
  ).n
  await alice.close()
  if (stored !== ARCHIVE) throw new Error(`Stored ${stored} of ${ARCHIVE} archived messages`)
  return {
    cairn: report.archived / cairnSeconds,
    reference: received / referenceSeconds,
    cairnSeconds,
    referenceSeconds,
  }
}

async function latency(server: ProsodyServer, work: string) {
  console.log(`Latency: ${LATENCY_ROUNDS} messages, one at a time…`)
  const carol = await profileFor(server, 'carol', work)
  const dave = await profileFor(server, 'dave', work)
  const a = carol.chat.client(carol.account.id)
  const b = dave.chat.client(dave.account.id)
  a.start()
  b.start()
  await Promise.all([waitOnline(a), waitOnline(b)])
  await Promise.all([a.whenSynced(), b.whenSynced()])
  // Contacts, as people who chat are: dave's client answers with delivery receipts.
  await b.addContact('carol@localhost', 'Carol')
  const cairn: number[] = []
  for (let i = 0; i < LATENCY_ROUNDS; i++) {
    const arrived = new Promise<void>((resolve) => {
      const off = b.events.on('message', ({ direction }) => {
        if (direction === 'in') {
          off()
          resolve()
        }
      })
    })
    const t0 = process.hrtime.bigint()
    a.sendText('dave@localhost', `latency probe ${i}`)
    await arrived
    cairn.push(Number(process.hrtime.bigint() - t0) / 1e6)
    await new Promise((r) => setTimeout(r, LATENCY_GAP_MS))
  }
  await carol.close()
  await dave.close()

  const x = bareSession(server, 'carol', 'ref-x')
  const y = bareSession(server, 'dave', 'ref-y')
  await Promise.all([x.connect(), y.connect()])
  const reference: number[] = []
  for (let i = 0; i < LATENCY_ROUNDS; i++) {
    const arrived = new Promise<void>((resolve) => {
      const off = y.events.on('stanza', (s) => {
        if (s.name === 'message') {
          off()
          resolve()
        }
      })
    })
    const t0 = process.hrtime.bigint()
    x.send(
      el(
        'message',
        { to: 'dave@localhost/ref-y', type: 'chat', id: `r${i}` },
        el('body', {}, `probe ${i}`),
      ),
    )
    await arrived
    reference.push(Number(process.hrtime.bigint() - t0) / 1e6)
    await new Promise((r) => setTimeout(r, LATENCY_GAP_MS))
  }
  await Promise.all([x.close(), y.close()])
  cairn.sort((p, q) => p - q)
  reference.sort((p, q) => p - q)
  return { cairn, reference }
}

function waitOnline(client: { connection: { status: string } }): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const check = () => {
      if (client.connection.status === 'online') resolve()
      else if (Date.now() - started > 30_000) reject(new Error('did not connect'))
      else setTimeout(check, 20)
    }
    check()
  })
}

/** Child process: a profile with 500 contacts online and 200 open conversations; prints its RSS. */
async function memoryPhase(server: ProsodyServer, work: string): Promise<void> {
  const erin = await profileFor(server, 'erin', work)
  const client = erin.chat.client(erin.account.id)
  const random = rng(3)
  const word = wordSource(random)
  const db = erin.db
  db.transaction(() => {
    for (let c = 0; c < 200; c++) {
      const chatId = ensureChat(db, erin.account.id, `contact${c}@localhost`, 'direct')
      for (let m = 0; m < 100; m++) {
        storeChatMessage(db, {
          chatId,
          direction: m % 2 ? 'out' : 'in',
          sender: m % 2 ? 'erin@localhost' : `contact${c}@localhost`,
          originId: `m-${c}-${m}`,
          archiveId: null,
          body: sentence(word, 5 + Math.floor(random() * 25)),
          sentAt: Date.now() - (100 - m) * 60_000,
          receivedAt: Date.now(),
          state: m % 2 ? 'read' : 'received',
          seen: true,
          place: 'end',
        })
      }
    }
  })()
  client.start()
  await waitOnline(client)
  await client.whenSynced()
  // 500 contacts in the server's roster (as the user would have them).
  for (let i = 0; i < 500; i++) await client.addContact(`contact${i}@localhost`, `Contact ${i}`)
  // 500 contacts online: their presence, as the server would push it.
  const presences = client as unknown as {
    presences: { update(jid: string, r: string, p: { show: 'online'; status: string }): void }
  }
  for (let i = 0; i < 500; i++)
    presences.presences.update(`contact${i}@localhost`, 'phone', {
      show: 'online',
      status: 'Around',
    })
  const open = erin.chat
    .listChats(erin.account.id)
    .map((chat) => ({ chat, messages: chatHistory(db, chat.id, { limit: 100 }) }))
  const contacts = erin.chat.contacts(erin.account.id)
  const rss = process.memoryUsage().rss
  process.stdout.write(JSON.stringify({ rss, open: open.length, contacts: contacts.length }) + '\n')
  await erin.close()
}

async function main(): Promise<void> {
  const server = await startProsody()
  const work = mkdtempSync(join(tmpdir(), 'cairn-bench-chat-'))
  try {
    for (const user of ['alice', 'bob', 'carol', 'dave', 'erin']) server.register(user, PASSWORD)
    const sync = await archiveSync(server, work)
    const lat = await latency(server, work)
    console.log('Memory: a separate process with 500 contacts and 200 conversations open…')
    const child = spawnSync(
      process.execPath,
      [process.argv[1] as string, '--memory-child', server.server, server.ca.caFile, work],
      {
        encoding: 'utf8',
        env: { ...process.env },
      },
    )
    const line = child.stdout.trim().split('\n').pop() ?? '{}'
    const memory = JSON.parse(line) as { rss?: number; open?: number; contacts?: number }
    if (!memory.rss) throw new Error(`memory phase failed: ${child.stderr}`)
    printTable(
      'Chat (Prosody 0.12 on loopback)',
      ['measure', 'Cairn', 'reference', 'target'],
      [
        ['archive sync (msg/s)', fmt(sync.cairn, 0), fmt(sync.reference, 0), '≥ 2,000'],
        [
          `  ${ARCHIVE.toLocaleString()} messages (s)`,
          fmt(sync.cairnSeconds),
          fmt(sync.referenceSeconds),
          '',
        ],
        [
          'latency p50 (ms)',
          fmt(percentile(lat.cairn, 50)),
          fmt(percentile(lat.reference, 50)),
          '',
        ],
        [
          'latency p95 (ms)',
          fmt(percentile(lat.cairn, 95)),
          fmt(percentile(lat.reference, 95)),
          '≤ 50',
        ],
        [
          `RSS, ${memory.contacts} contacts + ${memory.open} chats (MB)`,
          fmt(memory.rss / 2 ** 20, 0),
          '',
          '≤ 250',
        ],
      ],
    )
    console.log(
      '\nReferences: a bare XMPP session (no store, no UI state) against the same server.',
    )
  } finally {
    await server.stop()
    rmSync(work, { recursive: true, force: true })
  }
}

if (process.argv[2] === '--memory-child') {
  // The memory phase runs against the parent's server, in a fresh process.
  const [, , , hostPort, caFile, work] = process.argv
  const [, port] = (hostPort as string).split(':')
  const server = {
    server: hostPort as string,
    port: Number(port),
    domain: 'localhost',
    ca: { caFile: caFile as string, certFile: '', keyFile: '' },
  } as unknown as ProsodyServer
  await memoryPhase(server, work as string)
} else {
  await main()
}
