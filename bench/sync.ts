/**
 * npm run bench:sync — IMAP sync against a local Dovecot holding 50,000
 * realistic messages (about 10% with attachments), seeded into its Maildir.
 * Printed side by side in one run:
 *  - Cairn's first full sync (headers, then bodies: fetched, parsed, stored,
 *    indexed) against imapflow alone fetching the same full sources with no
 *    processing (in a child process, so each has its own memory figures);
 *  - time until the newest 100 headers can be shown;
 *  - incremental sync with nothing changed, and with 1 new message;
 *  - IDLE push latency (another client appends; Cairn has it stored);
 *  - peak RSS;
 *  - what bounds the full sync, measured in the same run: CPU per message
 *    (the client's threads, and Dovecot's) against the raw
 *    fetch's, the rate the machine's cores would allow at that CPU cost,
 *    and the full-text index alone on one writer (Cairn's messages_fts
 *    definition, the synced texts, 250 per transaction).
 * Targets (issue 10): ≥ 2,500 msg/s and ≥ 0.5× raw imapflow; first 100
 * headers ≤ 1 s; incremental ≤ 100 ms; push ≤ 1 s; RSS ≤ 300 MB.
 *
 *   CAIRN_BENCH_MESSAGES=10000 npm run bench:sync   a smaller run
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { ImapFlow } from 'imapflow'
import { AccountService } from '../main/mail/accounts/account-service.js'
import { openMailDb } from '../main/mail/db/connection.js'
import { bodyPreparer } from '../main/mail/sync/body-prepare.js'
import { listMessages } from '../main/mail/store/messages.js'
import { SyncService } from '../main/mail/sync/sync-service.js'
import { accountSecrets } from '../main/keychain/account-secrets.js'
import type { SecretStore } from '../main/keychain/keychain.js'
import { seedMaildir, startDovecot } from '../test/support/dovecot.js'
import { fmt, percentile, printTable, rng, sentence, wordSource } from './support.js'

const MESSAGES = Number(process.env.CAIRN_BENCH_MESSAGES ?? 50_000)
const USER = 'bench'
const PASSWORD = 'bench-password'

if (process.argv[2] === '--raw') await rawFetch(Number(process.argv[3]))
else await main()

/** The reference: imapflow fetching every full source, doing nothing with it. */
async function rawFetch(port: number) {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port,
    secure: false,
    auth: { user: USER, pass: PASSWORD },
    logger: false,
  })
  await client.connect()
  const started = performance.now()
  const lock = await client.getMailboxLock('INBOX')
  let count = 0
  let bytes = 0
  for await (const m of client.fetch('1:*', { uid: true, source: true }, { uid: true })) {
    count++
    bytes += m.source?.length ?? 0
  }
  lock.release()
  const ms = performance.now() - started
  await client.logout()
  const usage = process.resourceUsage()
  process.stdout.write(
    JSON.stringify({
      count,
      bytes,
      ms,
      rssMb: usage.maxRSS / 1024,
      cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    }),
  )
}

/** CPU milliseconds this process (all its threads) has used so far. */
function processCpuMs(): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/**
 * CPU milliseconds of the main thread alone (Linux: its utime + stime in
 * /proc, in clock ticks of 10 ms), so the run can tell the syncing thread's
 * share from the body-prepare workers' (and V8's helper threads').
 */
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return NaN
  }
}

/**
 * The full-text index alone, one writer: the synced messages' texts
 * inserted once each (Cairn writes the header row, then the body as an
 * update, which costs more) into an FTS5 table defined as messages_fts is,
 * 250 per transaction as the body sync stores them. Returns messages/s.
 */
function indexAloneRate(source: ReturnType<typeof openMailDb>, dir: string): number {
  const rows = source
    .prepare('SELECT subject, participants, body_text FROM messages ORDER BY id')
    .raw()
    .all() as [string, string, string][]
  const fts = new Database(join(dir, 'fts-alone.sqlite'))
  fts.pragma('journal_mode = WAL')
  fts.pragma('synchronous = NORMAL')
  fts.exec(`CREATE VIRTUAL TABLE t USING fts5(subject, participants, body_text,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')`)
  const insert = fts.prepare('INSERT INTO t (subject, participants, body_text) VALUES (?, ?, ?)')
  const group = fts.transaction((slice: [string, string, string][]) => {
    for (const row of slice) insert.run(...row)
  })
  const started = performance.now()
  for (let i = 0; i < rows.length; i += 250) group(rows.slice(i, i + 250))
  const ms = performance.now() - started
  fts.close()
  return (rows.length / ms) * 1000
}

function* corpus() {
  const random = rng(7)
  const word = wordSource(random)
  const start = Date.UTC(2020, 0, 1)
  for (let i = 0; i < MESSAGES; i++) {
    const date = new Date(start + i * 30 * 60_000)
    const subject = sentence(word, 3 + Math.floor(random() * 6)).slice(0, -1)
    const paragraphs = Array.from({ length: 1 + Math.floor(random() * 5) }, () =>
      sentence(word, 15 + Math.floor(random() * 60)),
    )
    const body = paragraphs.join('\r\n\r\n').replace(/(.{1,76})(\s|$)/g, '$1\r\n')
    const sender = `person${Math.floor(Math.pow(random(), 2) * 800)}`
    const headers =
      `Return-Path: <${sender}@example.com>\r\nReceived: from mx.example.com by mail.example.test; ${date.toUTCString()}\r\n` +
      `From: ${sender} <${sender}@example.com>\r\nTo: Bench <bench@example.test>\r\nSubject: ${subject}\r\n` +
      `Date: ${date.toUTCString()}\r\nMessage-ID: <bench-${i}@example.com>\r\nMIME-Version: 1.0\r\n`
    let raw: string
    if (random() < 0.1) {
      const b = `b${i}`
      const bytes = randomBytes(4096 + Math.floor(random() * 36_000))
        .toString('base64')
        .replace(/.{76}/g, '$&\r\n')
      raw =
        `${headers}Content-Type: multipart/mixed; boundary="${b}"\r\n\r\n--${b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n` +
        `--${b}\r\nContent-Type: application/pdf; name="doc${i}.pdf"\r\nContent-Transfer-Encoding: base64\r\n` +
        `Content-Disposition: attachment; filename="doc${i}.pdf"\r\n\r\n${bytes}\r\n--${b}--\r\n`
    } else raw = `${headers}Content-Type: text/plain; charset=utf-8\r\n\r\n${body}`
    yield { raw, flags: random() < 0.7 ? 'S' : '', time: Math.floor(date.getTime() / 1000) }
  }
}

function memorySecrets(): SecretStore {
  const map = new Map<string, string>()
  return {
    get: (k) => map.get(k) ?? null,
    set: (k, v) => void map.set(k, v),
    delete: (k) => map.delete(k),
  }
}

async function main() {
  console.log(`Seeding ${MESSAGES.toLocaleString('en-US')} messages into a Dovecot Maildir…`)
  const dovecot = await startDovecot({ users: [{ name: USER, password: PASSWORD }] })
  const work = mkdtempSync(join(tmpdir(), 'cairn-bench-sync-'))
  try {
    seedMaildir(dovecot, USER, corpus())
    // Let Dovecot build its index once, so neither side pays for it.
    const warm = new ImapFlow({
      host: '127.0.0.1',
      port: dovecot.imapPort,
      secure: false,
      auth: { user: USER, pass: PASSWORD },
      logger: false,
    })
    await warm.connect()
    await warm.mailboxOpen('INBOX')
    for await (const _ of warm.fetch('1:*', { uid: true, envelope: true, size: true })) void _
    await warm.logout()

    console.log('Raw imapflow fetch of every source…')
    const rawServerBefore = dovecot.cpuMs()
    const raw = JSON.parse(
      execFileSync(
        process.execPath,
        [process.argv[1] as string, '--raw', String(dovecot.imapPort)],
        { encoding: 'utf8' },
      ),
    ) as { count: number; bytes: number; ms: number; rssMb: number; cpuMs: number }
    const rawServerMs = dovecot.cpuMs() - rawServerBefore

    const db = openMailDb(join(work, 'mail.sqlite'))
    const accounts = new AccountService(db, accountSecrets(memorySecrets(), 'bench'))
    const bodies = bodyPreparer({ attachmentsDir: join(work, 'attachments') })
    const sync = new SyncService({
      db,
      credentials: accounts.credentials,
      prepare: bodies.prepare,
    })
    const server = {
      host: '127.0.0.1',
      port: dovecot.imapPort,
      security: 'plain' as const,
      username: USER,
    }
    const { accountId } = await accounts.add({
      email: 'bench@example.test',
      password: PASSWORD,
      imap: server,
      smtp: server,
      verify: false,
    })

    console.log('Cairn’s first full sync…')
    const serverBefore = dovecot.cpuMs()
    const cpuBefore = processCpuMs()
    const mainCpuBefore = mainThreadCpuMs()
    const started = performance.now()
    let first100 = NaN
    let headersDone = NaN
    const off = sync.events.on('changed', ({ folderIds }) => {
      if (!Number.isNaN(first100) || folderIds.length === 0) return
      const page = listMessages(db, folderIds[0] as number, { limit: 100 })
      if (page.messages.length === 100) first100 = performance.now() - started
    })
    const account = sync.account(accountId)
    const headerProgress = setInterval(() => {
      const row = db.prepare(`SELECT count(*) AS n FROM remote_messages`).get() as { n: number }
      if (Number.isNaN(headersDone) && row.n >= MESSAGES) headersDone = performance.now() - started
    }, 20)
    const [report] = await sync.syncOnce(accountId)
    clearInterval(headerProgress)
    off()
    const fullMs = performance.now() - started
    const cairnCpuMs = processCpuMs() - cpuBefore
    const mainCpuMs = mainThreadCpuMs() - mainCpuBefore
    const serverMs = dovecot.cpuMs() - serverBefore
    if (report?.added !== MESSAGES || report.bodies !== MESSAGES)
      throw new Error(
        `sync stored ${report?.added} headers and ${report?.bodies} bodies of ${MESSAGES}`,
      )

    if (process.env.CAIRN_BENCH_FIRST_ONLY) {
      // For profiling (node --cpu-prof): the first full sync and nothing else.
      const rate = (MESSAGES / fullMs) * 1000
      console.log(
        `first full sync ${fmt(rate, 0)} msg/s; CPU per message ${fmt(cairnCpuMs / MESSAGES, 3)} ms, main thread ${fmt(mainCpuMs / MESSAGES, 3)} ms`,
      )
      await sync.close()
      await bodies.close()
      db.close()
      return
    }

    console.log('The full-text index alone…')
    const ftsRate = indexAloneRate(db, work)

    console.log('Incremental syncs and push…')
    const noChange: number[] = []
    for (let i = 0; i < 20; i++) {
      const t = performance.now()
      await sync.syncOnce(accountId)
      noChange.push(performance.now() - t)
    }
    const other = new ImapFlow({
      host: '127.0.0.1',
      port: dovecot.imapPort,
      secure: false,
      auth: { user: USER, pass: PASSWORD },
      logger: false,
    })
    await other.connect()
    const oneNew: number[] = []
    for (let i = 0; i < 10; i++) {
      await other.append(
        'INBOX',
        `From: a@example.com\r\nSubject: new ${i}\r\nMessage-ID: <new-${i}@example.com>\r\n\r\nhello\r\n`,
      )
      const t = performance.now()
      const [r] = await sync.syncOnce(accountId)
      oneNew.push(performance.now() - t)
      if (r?.added !== 1) throw new Error('the new message was not synced')
    }

    await account.watchInbox()
    const push: number[] = []
    for (let i = 0; i < 10; i++) {
      const id = `push-${i}@example.com`
      const arrived = new Promise<void>((resolve) => {
        const stop = sync.events.on('changed', () => {
          if (db.prepare('SELECT 1 FROM messages WHERE message_id = ?').get(id)) {
            stop()
            resolve()
          }
        })
      })
      const t = performance.now()
      await other.append(
        'INBOX',
        `From: a@example.com\r\nSubject: push ${i}\r\nMessage-ID: <${id}>\r\n\r\nhello\r\n`,
      )
      await arrived
      push.push(performance.now() - t)
      await new Promise((r) => setTimeout(r, 100))
    }
    // The same three with imapflow alone, doing nothing with what it gets:
    // what the server itself costs (a Maildir of 50,000 files is rescanned
    // after every change).
    const rawClient = new ImapFlow({
      host: '127.0.0.1',
      port: dovecot.imapPort,
      secure: false,
      auth: { user: USER, pass: PASSWORD },
      logger: false,
    })
    await rawClient.connect()
    const rawNoChange: number[] = []
    const rawOneNew: number[] = []
    const rawPush: number[] = []
    for (let i = 0; i < 10; i++) {
      await rawClient.mailboxOpen('Junk')
      let t = performance.now()
      await rawClient.mailboxOpen('INBOX')
      rawNoChange.push(performance.now() - t)
      const next = rawClient.mailbox ? rawClient.mailbox.uidNext : 0
      await rawClient.mailboxOpen('Junk')
      await other.append(
        'INBOX',
        `From: a@example.com\r\nSubject: raw ${i}\r\nMessage-ID: <raw-${i}@example.com>\r\n\r\nhello\r\n`,
      )
      t = performance.now()
      await rawClient.mailboxOpen('INBOX')
      for await (const m of rawClient.fetch(
        `${next}:*`,
        { uid: true, source: true },
        { uid: true },
      ))
        void m
      rawOneNew.push(performance.now() - t)
    }
    await rawClient.mailboxOpen('INBOX')
    for (let i = 0; i < 10; i++) {
      const arrived = new Promise<void>((resolve) => rawClient.once('exists', () => resolve()))
      const idling = rawClient.idle()
      await new Promise((r) => setTimeout(r, 50))
      const t = performance.now()
      await other.append('INBOX', `From: a@example.com\r\nSubject: rawpush ${i}\r\n\r\nhello\r\n`)
      await arrived
      rawPush.push(performance.now() - t)
      await rawClient.noop()
      await idling
    }
    await rawClient.logout()
    await other.logout()
    const rssMb = process.resourceUsage().maxRSS / 1024
    await sync.close()
    await bodies.close()
    db.close()

    const rate = (MESSAGES / fullMs) * 1000
    const rawRate = (raw.count / raw.ms) * 1000
    const med = (xs: number[]) =>
      percentile(
        [...xs].sort((a, b) => a - b),
        50,
      )
    printTable(
      `IMAP sync of ${MESSAGES.toLocaleString('en-US')} messages (${fmt(raw.bytes / 1048576)} MB) from a local Dovecot`,
      ['measure', 'Cairn', 'raw imapflow', 'target'],
      [
        ['first full sync, msg/s', fmt(rate, 0), fmt(rawRate, 0), '≥ 2,500 and ≥ 0.5× raw'],
        ['first full sync, s', fmt(fullMs / 1000, 2), fmt(raw.ms / 1000, 2), ''],
        ['  of which headers of all, s', fmt(headersDone / 1000, 2), '', ''],
        ['Cairn ÷ raw', fmt(rate / rawRate, 2), '', '≥ 0.5'],
        ['newest 100 headers shown, ms', fmt(first100, 0), '', '≤ 1,000'],
        [
          'incremental, nothing new, ms (p50)',
          fmt(med(noChange)),
          `${fmt(med(rawNoChange))} (SELECT)`,
          '≤ 100',
        ],
        [
          'incremental, 1 new message, ms (p50)',
          fmt(med(oneNew)),
          `${fmt(med(rawOneNew))} (SELECT+FETCH)`,
          '≤ 100',
        ],
        [
          'IDLE push to stored, ms (p50)',
          fmt(med(push)),
          `${fmt(med(rawPush))} (EXISTS seen)`,
          '≤ 1,000',
        ],
        ['peak RSS, MB', fmt(rssMb, 0), fmt(raw.rssMb, 0), '≤ 300'],
      ],
    )
    const cores = availableParallelism()
    const perMessage = (ms: number, n: number) => ms / n
    printTable(
      'What bounds the first full sync (same run)',
      ['measure', 'Cairn', 'raw imapflow', ''],
      [
        [
          'CPU per message, own threads, ms',
          fmt(perMessage(cairnCpuMs, MESSAGES), 3),
          fmt(perMessage(raw.cpuMs, raw.count), 3),
          '',
        ],
        ['  of which the main thread, ms', fmt(perMessage(mainCpuMs, MESSAGES), 3), '', ''],
        [
          'Dovecot CPU per message, ms',
          fmt(perMessage(serverMs, MESSAGES), 3),
          fmt(perMessage(rawServerMs, raw.count), 3),
          '',
        ],
        [
          `most msg/s ${cores} cores allow at client + server cost`,
          fmt((cores * 1000) / perMessage(cairnCpuMs + serverMs, MESSAGES), 0),
          fmt((cores * 1000) / perMessage(raw.cpuMs + rawServerMs, raw.count), 0),
          '',
        ],
        ['full-text index alone, one writer, msg/s', fmt(ftsRate, 0), '', ''],
      ],
    )
    console.log(
      'The index alone is Cairn’s messages_fts (2- and 3-letter prefixes) fed each synced text once, 250 per transaction; SQLite has one writer per database.',
    )
  } finally {
    await dovecot.stop()
    rmSync(work, { recursive: true, force: true })
    rmSync(dovecot.dir, { recursive: true, force: true })
  }
}
