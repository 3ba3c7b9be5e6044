import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ChatService, type ChatServiceOptions } from '../../main/chat/chat-service'
import { accountSecrets } from '../../main/keychain/account-secrets'
import { osKeychain } from '../../main/keychain/keychain'
import { openMailDb } from '../../main/mail/db/connection'
import { openProfile } from '../../main/profile/profile'
import { count, until } from '../support/chat'
import { startFakeXmpp, type FakeConnection } from '../support/fake-xmpp'
import { useRealKeychain } from '../support/keyring'
import { makeTestCa } from '../support/prosody'
import { tempDir } from '../support/temp'

let keychain: { stop: () => void }
const cleanups: (() => Promise<void> | void)[] = []

beforeAll(async () => {
  keychain = await useRealKeychain()
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

afterAll(() => keychain?.stop())

/** One archive query the client sent: its IQ id, query id and RSM cursor. */
interface Query {
  iqId: string
  queryId: string
  after: string | null
  max: number
}

const QUERY =
  /<iq type='set' id='([^']+)'><query xmlns='urn:xmpp:mam:2' queryid='([^']+)'>(.*?)<\/query><\/iq>/g

/** Archive results answering `queryId`, each a message from bob, then the query's <fin/>. */
function answer(
  query: Query,
  results: { id: string; body: string }[],
  fin: { last: string; complete: boolean },
): string {
  const items = results.map(
    (r) =>
      `<message to='alice@localhost/fake'><result xmlns='urn:xmpp:mam:2' queryid='${query.queryId}' id='${r.id}'>` +
      `<forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2026-01-01T00:00:00Z'/>` +
      `<message from='bob@localhost/x' to='alice@localhost' type='chat' id='o-${r.id}'><body>${r.body}</body></message>` +
      `</forwarded></result></message>`,
  )
  return (
    items.join('') +
    `<iq type='result' id='${query.iqId}'><fin xmlns='urn:xmpp:mam:2' complete='${fin.complete}'>` +
    `<set xmlns='http://jabber.org/protocol/rsm'><first>${results[0]?.id ?? ''}</first><last>${fin.last}</last></set></fin></iq>`
  )
}

/**
 * A chat account on a scripted server whose archive answers every query
 * with `serve`; resolves once the client's catch-up ends, with what it
 * asked for and the warnings Cairn logged.
 */
async function catchUpAgainst(
  serve: (query: Query, index: number) => string,
  options: ChatServiceOptions = {},
) {
  const queries: Query[] = []
  const ca = makeTestCa(tempDir())
  const fake = await startFakeXmpp({
    ca,
    script: () => undefined,
    onData(data: string, connection: FakeConnection) {
      for (const match of data.matchAll(QUERY)) {
        const body = match[3] ?? ''
        const query: Query = {
          iqId: match[1] ?? '',
          queryId: match[2] ?? '',
          after: /<after>([^<]*)<\/after>/.exec(body)?.[1] ?? null,
          max: Number(/<max>(\d+)<\/max>/.exec(body)?.[1]),
        }
        queries.push(query)
        connection.write(serve(query, queries.length - 1))
      }
    },
  })
  cleanups.push(() => fake.close())
  const warnings: string[] = []
  const onWarning = (warning: Error) => warnings.push(warning.message)
  process.on('warning', onWarning)
  cleanups.push(() => void process.off('warning', onWarning))
  const profile = openProfile(join(tempDir(), 'profile'))
  const db = openMailDb(profile.paths.database)
  const chat = new ChatService(db, profile.paths, accountSecrets(osKeychain(), profile.id), {
    backoff: { initialMs: 100, maxMs: 400 },
    ...options,
  })
  cleanups.push(async () => {
    await chat.close()
    db.close()
    profile.close()
  })
  const account = await chat.addAccount({
    jid: 'alice@localhost',
    password: 'anything',
    server: `127.0.0.1:${fake.port}`,
    ca: readFileSync(ca.caFile, 'utf8'),
  })
  const client = chat.client(account.id)
  client.start()
  await until(() => client.connection.status === 'online', 'alice online')
  let timer: NodeJS.Timeout | undefined
  const synced = await Promise.race([
    client.whenSynced(),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the catch-up never ended (${queries.length} queries so far)`)),
        20_000,
      )
    }),
  ]).finally(() => clearTimeout(timer))
  // Let the warnings (emitted on the next tick) arrive.
  await new Promise((resolve) => setTimeout(resolve, 50))
  const stored = count(db, 'SELECT count(*) AS n FROM chat_messages')
  const cursor = (
    db.prepare('SELECT archive_last_id AS id FROM chat_sync').get() as { id: string | null }
  ).id
  return { queries, warnings, synced, stored, cursor }
}

describe('an archive (XEP-0313) that never ends', () => {
  it('keeps only the results it asked for and stops when the server repeats its position', async () => {
    // Every page: 300 results for a query of 10, "not complete", and always the same <last>.
    const results = Array.from({ length: 300 }, (_, i) => ({
      id: `r${i + 1}`,
      body: `old ${i + 1}`,
    }))
    const run = await catchUpAgainst(
      (query) => answer(query, results, { last: 'r300', complete: false }),
      { archivePageSize: 10 },
    )
    expect(run.queries.map((q) => q.max)).toEqual([10, 10])
    // Paging continued from the last result kept (not the server's r300, which would skip 290)...
    expect(run.queries.map((q) => q.after)).toEqual([null, 'r10'])
    expect(run.cursor).toBe('r10')
    // ...and only what was asked for was kept and stored.
    expect(run.stored).toBe(10)
    expect(run.synced).toEqual({ fetched: 20, stored: 10 })
    expect(run.warnings).toContainEqual(
      expect.stringMatching(/sent 290 more results than the 10 asked for; they were ignored/),
    )
    expect(run.warnings).toContainEqual(
      expect.stringMatching(/catch-up for alice@localhost stopped: .*same position twice/),
    )
  })

  it('stops after the most pages one catch-up may ask for, with its cursor kept for the next connection', async () => {
    // A fresh page every time, each one "not complete": an endless archive.
    const run = await catchUpAgainst(
      (query, index) =>
        answer(query, [{ id: `p${index}`, body: `page ${index}` }], {
          last: `p${index}`,
          complete: false,
        }),
      { archivePageSize: 10, archiveMaxPages: 5 },
    )
    expect(run.queries).toHaveLength(5)
    expect(run.stored).toBe(5)
    expect(run.cursor).toBe('p4')
    expect(run.warnings).toContainEqual(
      expect.stringMatching(
        /stopped: it asked for 5 pages; the rest follows on the next connection/,
      ),
    )
  })
})
