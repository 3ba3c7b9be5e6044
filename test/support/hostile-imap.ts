import { afterAll, beforeAll } from 'vitest'
import type { ServerSettings } from '../../main/mail/accounts/server-settings'
import { startDovecot, type Dovecot } from './dovecot'
import { useRealKeychain } from './keyring'
import { addTestAccount, type SyncWorld } from './sync-world'
import { startTamperingRelay, type TamperingRelay } from './tampering-relay'

/**
 * A real Dovecot for `users` behind a tampering relay, for the tests of a
 * misbehaving server, with the real keychain: started before the file's
 * tests, stopped after them. Plaintext on loopback, so the relay sees (and
 * changes) the protocol.
 */
export function hostileImap(users: string[]): {
  readonly dovecot: Dovecot
  readonly relay: TamperingRelay
  /** Settings that reach `user`'s mailbox through the relay. */
  settings(user: string): ServerSettings
  /** Add `user`'s account through the relay. */
  addAccount(world: SyncWorld, user: string): Promise<number>
} {
  let keyring: Awaited<ReturnType<typeof useRealKeychain>> | undefined
  let dovecot: Dovecot | undefined
  let relay: TamperingRelay | undefined
  beforeAll(async () => {
    keyring = await useRealKeychain()
    dovecot = await startDovecot({
      users: users.map((name) => ({ name, password: `${name}-password` })),
    })
    relay = await startTamperingRelay(dovecot.imapPort)
  })
  afterAll(async () => {
    await relay?.close()
    await dovecot?.stop()
    keyring?.stop()
  })
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('hostileImap: used before its servers started')
    return value
  }
  const settings = (user: string): ServerSettings => ({
    host: '127.0.0.1',
    port: started(relay).port,
    security: 'plain',
    username: user,
  })
  return {
    get dovecot() {
      return started(dovecot)
    },
    get relay() {
      return started(relay)
    },
    settings,
    addAccount: (world, user) => addTestAccount(world, user, settings(user)),
  }
}
