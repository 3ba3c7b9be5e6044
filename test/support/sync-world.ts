import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ImapFlow } from 'imapflow'
import { AccountService } from '../../main/mail/accounts/account-service'
import type { ServerSettings } from '../../main/mail/accounts/server-settings'
import { openMailDb, type MailDb } from '../../main/mail/db/connection'
import { bodyPreparer, type PrepareBody } from '../../main/mail/sync/body-prepare'
import { OAuthTokenStore } from '../../main/mail/oauth/token-store'
import { SyncService } from '../../main/mail/sync/sync-service'
import { accountSecrets } from '../../main/keychain/account-secrets'
import { osKeychain } from '../../main/keychain/keychain'
import type { Dovecot } from './dovecot'
import type { TestCertificate } from './test-ca'
import { tempDir } from './temp'

/** A profile's mail side as the app composes it: database, keychain secrets, accounts and sync. */
export interface SyncWorld {
  dir: string
  db: MailDb
  accounts: AccountService
  sync: SyncService
  bodies: ReturnType<typeof bodyPreparer>
  profileId: string
  /** Close sync and the database (as quitting the app does); `reopen()` starts again on the same files. */
  close(): Promise<void>
  reopen(): Promise<SyncWorld>
}

export async function openSyncWorld(
  dir = tempDir('cairn-sync-'),
  profileId = `test-${randomBytes(6).toString('hex')}`,
  options: {
    socketTimeoutMs?: number
    /** Messages above this many bytes keep their headers only (the app's default when unset). */
    maxMessageBytes?: number
    /** What sync prepares bodies with, given the real workers (to watch or slow them). */
    prepare?: (workers: PrepareBody) => PrepareBody
  } = {},
): Promise<SyncWorld> {
  const db = openMailDb(join(dir, 'mail.sqlite'))
  const secrets = accountSecrets(osKeychain('CairnTest'), profileId)
  const accounts = new AccountService(db, secrets, new OAuthTokenStore(secrets))
  const bodies = bodyPreparer({ attachmentsDir: join(dir, 'attachments'), size: 2 })
  const sync = new SyncService({
    db,
    credentials: accounts.credentials,
    prepare: options.prepare ? options.prepare(bodies.prepare) : bodies.prepare,
    socketTimeoutMs: options.socketTimeoutMs,
    maxMessageBytes: options.maxMessageBytes,
  })
  const world: SyncWorld = {
    dir,
    db,
    accounts,
    sync,
    bodies,
    profileId,
    async close() {
      await sync.close()
      await bodies.close()
      db.close()
    },
    async reopen() {
      await world.close()
      return openSyncWorld(dir, profileId, options)
    },
  }
  return world
}

export function imapsSettings(
  dovecot: Dovecot,
  cert: TestCertificate,
  user = 'alice',
): ServerSettings {
  return {
    host: '127.0.0.1',
    port: dovecot.imapsPort,
    security: 'tls',
    username: user,
    caFile: cert.caFile,
  }
}

/** Add `user`'s account (password `<user>-password`, as the test servers make them), unverified. */
export async function addTestAccount(
  world: SyncWorld,
  user: string,
  imap: ServerSettings,
  smtp: ServerSettings = imap,
): Promise<number> {
  const { accountId } = await world.accounts.add({
    email: `${user}@example.test`,
    password: `${user}-password`,
    imap,
    smtp,
    verify: false,
  })
  return accountId
}

/** The store's id of the remote folder at `imapPath`. */
export function remoteFolderId(db: MailDb, imapPath: string): number {
  const row = db
    .prepare<[string], { folder_id: number }>(
      'SELECT folder_id FROM remote_folders WHERE imap_path = ?',
    )
    .get(imapPath)
  if (!row) throw new Error(`No remote folder ${imapPath}`)
  return row.folder_id
}

/** Another mail client (imapflow as a stock client) acting on the same mailbox. */
export async function otherClient(
  dovecot: Dovecot,
  cert: TestCertificate,
  user = 'alice',
  pass = 'alice-password',
): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: dovecot.imapsPort,
    secure: true,
    auth: { user, pass },
    tls: { ca: [readFileSync(cert.caFile)] },
    logger: false,
  })
  await client.connect()
  return client
}

/** The Message-IDs in a user's server INBOX, read by a connection of its own (opened and closed here). */
export async function serverInbox(
  dovecot: Dovecot,
  cert: TestCertificate,
  user: string,
): Promise<string[]> {
  const client = await otherClient(dovecot, cert, user, `${user}-password`)
  try {
    return [...(await serverMessageIds(client, 'INBOX')).values()]
  } finally {
    await client.logout()
  }
}

const WORDS =
  'quarterly budget review meeting notes project launch invoice travel schedule design draft contract report update feedback lunch deadline customer release planning'.split(
    ' ',
  )

/** A realistic message: headers a real client writes, a text and HTML body, sometimes an attachment. */
export function realisticMessage(
  i: number,
  options: { attachmentBytes?: number; date?: Date } = {},
): string {
  return buildRealistic(i, options).replace(/\r?\n/g, '\r\n')
}

function buildRealistic(i: number, options: { attachmentBytes?: number; date?: Date }): string {
  const date = options.date ?? new Date(Date.UTC(2025, 0, 1) + i * 60_000)
  const words = Array.from(
    { length: 60 + (i % 200) },
    (_, k) => WORDS[(i * 7 + k * 13) % WORDS.length],
  ).join(' ')
  const subject = `${WORDS[i % WORDS.length]} ${WORDS[(i * 3) % WORDS.length]} #${i}`
  const head = [
    `Return-Path: <sender${i % 50}@example.org>`,
    `Received: from mx.example.org (mx.example.org [192.0.2.1]) by mail.example.test with ESMTPS id ${i}`,
    `From: Sender ${i % 50} <sender${i % 50}@example.org>`,
    'To: Alice <alice@example.test>',
    `Subject: ${subject}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <msg-${i}@example.org>`,
    'MIME-Version: 1.0',
  ]
  const boundary = `alt-${i}`
  const alternative = [
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Hello Alice,\n\n${words}\n\nBest,\nSender ${i % 50}`,
    `--${boundary}`,
    'Content-Type: text/html; charset=utf-8',
    '',
    `<html><body><p>Hello Alice,</p><p>${words}</p><p>Best,<br>Sender ${i % 50}</p></body></html>`,
    `--${boundary}--`,
  ].join('\r\n')
  if (!options.attachmentBytes)
    return [
      ...head,
      `Content-Type: multipart/alternative; boundary="${boundary}"`,
      '',
      alternative,
      '',
    ].join('\r\n')
  const mixed = `mix-${i}`
  const content = randomBytes(options.attachmentBytes)
    .toString('base64')
    .replace(/.{76}/g, '$&\r\n')
  return [
    ...head,
    `Content-Type: multipart/mixed; boundary="${mixed}"`,
    '',
    `--${mixed}`,
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    alternative,
    `--${mixed}`,
    `Content-Type: application/pdf; name="report-${i}.pdf"`,
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment; filename="report-${i}.pdf"`,
    '',
    content,
    `--${mixed}--`,
    '',
  ].join('\r\n')
}

/** Every message of a folder as the server has it: UID → Message-ID. */
export async function serverMessageIds(
  client: ImapFlow,
  path: string,
): Promise<Map<number, string>> {
  const lock = await client.getMailboxLock(path)
  try {
    // A mailbox already selected is not selected again: without a command the server
    // never says EXISTS, and a poll that began before a delivery would never see it.
    await client.noop()
    const out = new Map<number, string>()
    if ((client.mailbox ? client.mailbox.exists : 0) === 0) return out
    for await (const m of client.fetch('1:*', { uid: true, envelope: true }, { uid: true }))
      out.set(m.uid, (m.envelope?.messageId ?? '').replace(/^<|>$/g, ''))
    return out
  } finally {
    lock.release()
  }
}

/** Every synced message of a folder as Cairn stores it: UID → Message-ID. */
export function localMessageIds(
  db: MailDb,
  accountId: number,
  imapPath: string,
): Map<number, string> {
  return new Map(
    db
      .prepare<[number, string], { uid: number; message_id: string }>(
        `SELECT r.uid, m.message_id FROM remote_messages r
           JOIN remote_folders f ON f.folder_id = r.folder_id
           JOIN messages m ON m.id = r.message_id
          WHERE r.account_id = ? AND f.imap_path = ? AND m.folder_id = r.folder_id`,
      )
      .all(accountId, imapPath)
      .map((r) => [r.uid, r.message_id]),
  )
}

export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  stepMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value) return value
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, stepMs))
  }
}
