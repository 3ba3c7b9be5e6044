import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChatService, type ChatServiceOptions } from '../../main/chat/chat-service'
import type { ChatClient } from '../../main/chat/chat-client'
import { parseAccountJid } from '../../main/chat/xmpp/jid'
import { XmppSession } from '../../main/chat/xmpp/session'
import { accountSecrets } from '../../main/keychain/account-secrets'
import { osKeychain } from '../../main/keychain/keychain'
import { openMailDb, type MailDb } from '../../main/mail/db/connection'
import { openProfile, type Profile } from '../../main/profile/profile'
import type { ProsodyServer } from './prosody'

export const PASSWORD = 'correct horse battery staple'

export interface ChatProfile {
  profile: Profile
  db: MailDb
  chat: ChatService
  client: ChatClient
  accountId: number
  jid: string
  close(): Promise<void>
}

/**
 * A real Cairn profile with a chat account on `server` (added the way a
 * user adds one: login checked, password into the real keychain). Its
 * folder lives until close(), so one profile can serve a whole test file
 * (logins are the slow part of a chat test).
 */
export async function chatProfile(
  server: ProsodyServer,
  user: string,
  options: ChatServiceOptions & { dir?: string } = {},
): Promise<ChatProfile> {
  const parent = options.dir ? null : mkdtempSync(join(tmpdir(), 'cairn-chat-'))
  const profile = openProfile(options.dir ?? join(parent as string, 'profile'))
  const db = openMailDb(profile.paths.database)
  const chat = new ChatService(db, profile.paths, accountSecrets(osKeychain(), profile.id), {
    backoff: { initialMs: 200, maxMs: 2000 },
    ...options,
  })
  const account = await chat.addAccount({
    jid: `${user}@${server.domain}`,
    password: PASSWORD,
    server: server.server,
    ca: readFileSync(server.ca.caFile, 'utf8'),
  })
  const client = chat.client(account.id)
  return {
    profile,
    db,
    chat,
    client,
    accountId: account.id,
    jid: account.jid,
    async close() {
      await chat.close()
      db.close()
      profile.close()
      if (parent) rmSync(parent, { recursive: true, force: true })
    },
  }
}

/** A bare XMPP session (no store): the "other client" that sends crafted stanzas through the server. */
export async function rawSession(
  server: ProsodyServer,
  user: string,
  resource = 'raw',
): Promise<XmppSession> {
  const session = new XmppSession({
    jid: parseAccountJid(`${user}@${server.domain}`) as NonNullable<
      ReturnType<typeof parseAccountJid>
    >,
    password: PASSWORD,
    resource,
    endpoint: { host: '127.0.0.1', port: server.port, directTls: false },
    trust: { ca: readFileSync(server.ca.caFile, 'utf8') },
  })
  await session.connect()
  return session
}

/** Wait until `check` holds (polling), or fail with `what`. */
export async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export function count(db: MailDb, sql: string, ...params: unknown[]): number {
  return (db.prepare(sql).get(...params) as { n: number }).n
}

/** Make two accounts see each other's presence (roster entries, both subscriptions), through the server. */
export async function befriend(a: ChatProfile, b: ChatProfile): Promise<void> {
  const requested = new Promise<void>((resolve) => {
    const off = b.client.events.on('subscriptionRequest', ({ jid }) => {
      if (jid === a.jid) {
        off()
        resolve()
      }
    })
  })
  await a.client.addContact(b.jid)
  await requested
  b.client.acceptSubscription(a.jid)
  const requestedBack = new Promise<void>((resolve) => {
    const off = a.client.events.on('subscriptionRequest', ({ jid }) => {
      if (jid === b.jid) {
        off()
        resolve()
      }
    })
  })
  await requestedBack
  a.client.acceptSubscription(b.jid)
}
