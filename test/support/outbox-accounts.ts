import { fakeSmtp } from './fake-smtp'
import type { SyncWorld } from './sync-world'

/**
 * An account that only sends, through the SMTP server on `port` (its IMAP
 * side points nowhere and is never used), as the outbox tests need.
 */
export async function sendingAccount(
  world: Pick<SyncWorld, 'accounts'>,
  user: string,
  port: number,
): Promise<number> {
  const { accountId } = await world.accounts.add({
    email: `${user}@example.test`,
    password: `${user}-password`,
    imap: { host: '127.0.0.1', port: 1, security: 'plain', username: user },
    smtp: { host: '127.0.0.1', port, security: 'plain', username: user },
    serverFilesSent: true,
    verify: false,
  })
  return accountId
}

/** A fake SMTP server that takes a message and then keeps the client waiting until `release()`. */
export async function heldSmtp() {
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let reached = false
  const smtp = await fakeSmtp({
    hold: () => {
      reached = true
      return released
    },
  })
  return { ...smtp, reached: () => reached, release }
}
