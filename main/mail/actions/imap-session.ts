import type { ImapFlow } from 'imapflow'
import type { CredentialSource } from '../accounts/credentials.js'
import type { MailDb } from '../db/connection.js'
import { getImapAccount } from '../store/imap-accounts.js'
import { connectImapAs, imapError } from '../sync/imap-connect.js'

/**
 * One short IMAP session for an account, for work outside sync's queue
 * (creating a folder, filing a draft): connect, do it, log out. Failures
 * come back as the CairnErrors sync uses (unreachable, sign-in refused…).
 */
export async function withImap<T>(
  db: MailDb,
  credentials: CredentialSource,
  accountId: number,
  work: (client: ImapFlow) => Promise<T>,
): Promise<T> {
  const config = getImapAccount(db, accountId).config
  let client: ImapFlow | null = null
  try {
    client = await connectImapAs(accountId, credentials, {
      server: config.imap,
      allowPlaintext: config.allowPlaintext,
      socketTimeout: 60_000,
    })
    return await work(client)
  } catch (error) {
    throw await imapError(error, config.imap)
  } finally {
    const open = client
    await open?.logout().catch(() => open.close())
  }
}
