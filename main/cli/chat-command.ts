import { readFileSync } from 'node:fs'
import { ChatService } from '../chat/chat-service.js'
import { findChatAccount, listChatAccounts } from '../chat/store/accounts.js'
import { findChat } from '../chat/store/chats.js'
import type { ChatAccount } from '../chat/types.js'
import { toBare } from '../chat/xmpp/jid.js'
import { accountSecrets } from '../keychain/account-secrets.js'
import { osKeychain } from '../keychain/keychain.js'
import { openMailDb, type MailDb } from '../mail/db/connection.js'
import type { Profile } from '../profile/profile.js'
import { CairnError, errnoCode } from '../shared/errors.js'
import { parseCommandArgs, runSubcommand, UsageError, writeJson, type Command } from './command.js'
import { profileOption, withCliProfile } from './profile-arg.js'
import { readStdin } from './prompt.js'
import { terminalLine, terminalText } from './terminal-text.js'

const usage = `cairn chat account add --profile DIR --jid JID --password-stdin [--server HOST:PORT] [--ca FILE]
                       [--trust-fingerprint SHA256] [--direct-tls] [--json]
cairn chat send    --profile DIR --to JID (--text TEXT | --file F) [--account JID]
cairn chat sync    --profile DIR --once [--account JID] [--json]
cairn chat history --profile DIR --with JID [--account JID] [--limit N] [--json]

Chat over XMPP. Accounts are checked before they are saved (server found
through SRV records or given with --server, TLS verified, password
accepted); the password goes to the OS keychain. A certificate that no
trusted CA vouches for is refused and its SHA-256 fingerprint shown: give
the CA with --ca FILE, or, having checked it, the fingerprint with
--trust-fingerprint.

  account add  add a chat account (the password is read from standard input)
  send         connect, send one message or file, wait until the server
               confirms it, exit (0 only once confirmed)
  sync         connect, fetch what arrived and the server's archive, exit
  history      print a conversation from the profile (no network)

  --account JID   which chat account (needed when the profile has several)`

function withChat<T>(
  values: { profile?: string | undefined },
  context: Parameters<Command['run']>[1],
  action: (chat: ChatService, db: MailDb, profile: Profile) => Promise<T>,
): Promise<T> {
  return withCliProfile(values, context, async (profile) => {
    const db = openMailDb(profile.paths.database)
    const chat = new ChatService(db, profile.paths, accountSecrets(osKeychain(), profile.id))
    try {
      return await action(chat, db, profile)
    } finally {
      await chat.close()
      db.close()
    }
  })
}

function pickAccount(db: MailDb, jid: string | undefined): ChatAccount {
  if (jid) {
    const account = findChatAccount(db, toBare(jid) ?? jid)
    if (!account) throw new CairnError('NOT_FOUND', `This profile has no chat account ${jid}.`)
    return account
  }
  const accounts = listChatAccounts(db)
  if (accounts.length === 0)
    throw new CairnError(
      'NOT_FOUND',
      'This profile has no chat account: add one with `cairn chat account add`.',
    )
  if (accounts.length > 1)
    throw new UsageError(
      `the profile has several chat accounts; choose one with --account (${accounts.map((a) => a.jid).join(', ')})`,
    )
  return accounts[0] as ChatAccount
}

async function accountAdd(args: string[], context: Parameters<Command['run']>[1]): Promise<number> {
  const [sub, ...rest] = args
  if (sub !== 'add')
    throw new UsageError(
      sub ? `unknown subcommand "account ${sub}"` : 'name a subcommand: account add',
    )
  const { values } = parseCommandArgs(rest, {
    ...profileOption,
    jid: { type: 'string' },
    'password-stdin': { type: 'boolean', default: false },
    server: { type: 'string' },
    ca: { type: 'string' },
    'trust-fingerprint': { type: 'string' },
    'direct-tls': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  })
  if (!values.jid) throw new UsageError('--jid is required')
  if (!values['password-stdin'])
    throw new UsageError(
      'give the password on standard input with --password-stdin (never as an argument)',
    )
  const password = (await readStdin()).split(/\r?\n/)[0] ?? ''
  if (password.length === 0)
    throw new UsageError('--password-stdin: standard input held no password')
  let ca: string | undefined
  if (values.ca) {
    try {
      ca = readFileSync(values.ca, 'utf8')
    } catch (error) {
      throw new CairnError(
        'INVALID_ARGUMENT',
        `Cannot read the CA file ${values.ca} (${errnoCode(error) ?? 'error'}).`,
      )
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----'))
      throw new CairnError('INVALID_ARGUMENT', `${values.ca} holds no PEM certificate.`)
  }
  return withChat(values, context, async (chat) => {
    const account = await chat.addAccount({
      jid: values.jid as string,
      password,
      server: values.server,
      ca,
      trustedFingerprint: values['trust-fingerprint'],
      directTls: values['direct-tls'],
    })
    if (values.json)
      writeJson(context, { id: account.id, jid: account.jid, server: account.config.host ?? null })
    else
      context.stdout.write(
        `Added the chat account ${account.jid}; its password is in the system keychain.\n`,
      )
    return 0
  })
}

async function send(args: string[], context: Parameters<Command['run']>[1]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...profileOption,
    to: { type: 'string' },
    text: { type: 'string' },
    file: { type: 'string' },
    account: { type: 'string' },
    json: { type: 'boolean', default: false },
  })
  if (!values.to) throw new UsageError('--to is required')
  if ((values.text === undefined) === (values.file === undefined))
    throw new UsageError('give either --text or --file')
  return withChat(values, context, async (chat, db) => {
    const account = pickAccount(db, values.account)
    const client = chat.client(account.id)
    await client.connectOnce('send')
    const sent = values.file
      ? await client.sendFile(values.to as string, values.file)
      : client.sendText(values.to as string, values.text as string)
    await client.waitUntilSent(sent.messageId)
    if (values.json)
      writeJson(context, { messageId: sent.messageId, chatId: sent.chatId, state: 'sent' })
    else context.stdout.write(`Sent to ${values.to}; the server confirmed it.\n`)
    return 0
  })
}

async function sync(args: string[], context: Parameters<Command['run']>[1]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...profileOption,
    once: { type: 'boolean', default: false },
    account: { type: 'string' },
    json: { type: 'boolean', default: false },
  })
  if (!values.once)
    throw new UsageError('only --once is supported on the command line (the app stays connected)')
  return withChat(values, context, async (chat, db) => {
    const accounts = values.account ? [pickAccount(db, values.account)] : listChatAccounts(db)
    if (accounts.length === 0)
      throw new CairnError('NOT_FOUND', 'This profile has no chat account.')
    const reports = []
    for (const account of accounts) {
      const client = chat.client(account.id)
      const progress = client.events.on('archiveProgress', ({ fetched }) => {
        if (context.stderr.isTTY)
          context.stderr.write(`\r${account.jid}: ${fetched} archived messages read`)
      })
      try {
        reports.push(await chat.syncOnce(account.id))
      } finally {
        progress()
        if (context.stderr.isTTY) context.stderr.write('\n')
      }
    }
    if (values.json) writeJson(context, reports)
    else
      for (const r of reports)
        context.stdout.write(
          `${r.jid}: ${r.stored} new message${r.stored === 1 ? '' : 's'} (${r.archived} read from the archive), ${r.contacts} contacts.\n`,
        )
    return 0
  })
}

async function history(args: string[], context: Parameters<Command['run']>[1]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...profileOption,
    with: { type: 'string' },
    account: { type: 'string' },
    limit: { type: 'string', default: '50' },
    json: { type: 'boolean', default: false },
  })
  if (!values.with) throw new UsageError('--with is required')
  const limit = Number(values.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000)
    throw new UsageError('--limit must be a whole number from 1')
  const peer = toBare(values.with)
  if (!peer) throw new UsageError(`"${values.with}" is not a chat address`)
  return withChat(values, context, async (chat, db) => {
    const account = pickAccount(db, values.account)
    const found = findChat(db, account.id, peer)
    const messages = found ? chat.history(found.id, { limit }) : []
    if (values.json) {
      writeJson(context, { account: account.jid, with: peer, messages })
      return 0
    }
    for (const m of messages) {
      const who = m.direction === 'out' ? 'me' : terminalLine(m.sender)
      const state = m.direction === 'out' ? ` [${m.state}]` : ''
      context.stdout.write(
        `${new Date(m.sentAt).toISOString()} ${who}: ${terminalText(m.body)}${state}\n`,
      )
    }
    if (messages.length === 0) context.stdout.write(`No messages with ${peer}.\n`)
    return 0
  })
}

export const chatCommand: Command = {
  name: 'chat',
  summary: 'Chat accounts (XMPP): add, send, sync, history',
  usage,
  run: (args, context) =>
    runSubcommand(args, context, { account: accountAdd, send, sync, history }),
}
