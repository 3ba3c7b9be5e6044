import { createRequire } from 'node:module'
import type * as Keyring from '@napi-rs/keyring'
import { CairnError } from '../shared/errors.js'

/** Where secrets are kept outside the profile: the OS keychain, or something that behaves like it. */
export interface SecretStore {
  get(account: string): string | null
  set(account: string, secret: string): void
  delete(account: string): boolean
}

const SERVICE = 'Cairn'

// CommonJS, loaded with require: imported, Node would first scan it for export names (about 15 ms).
const { Entry } = createRequire(import.meta.url)('@napi-rs/keyring') as typeof Keyring

/**
 * The OS keychain: macOS Keychain, Windows Credential Manager, or the Linux
 * Secret Service (GNOME Keyring, KWallet). On Linux the entry is pinned to
 * the Secret Service: unpinned, the library falls back to the kernel
 * keyring, which forgets everything at logout. When no keychain is usable
 * the error says so; nothing is ever written to disk in its place.
 */
export function osKeychain(service = SERVICE): SecretStore {
  const entry = (account: string) =>
    new Entry(service, account, { linux: { store: 'secret-service' } })
  return {
    get: (account) => attempt(() => entry(account).getPassword()),
    set: (account, secret) => attempt(() => entry(account).setPassword(secret)),
    delete: (account) => attempt(() => entry(account).deletePassword()),
  }
}

function attempt<T>(action: () => T): T {
  try {
    return action()
  } catch (error) {
    throw new CairnError(
      'KEYCHAIN_UNAVAILABLE',
      `The system keychain cannot be used: ${reason(error)}`,
      {
        cause: error,
      },
    )
  }
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  if (/DBUS_SESSION_BUS_ADDRESS|connect to socket|No such file or directory/i.test(message)) {
    return 'no desktop session bus is running (is this a headless session?).'
  }
  if (/org\.freedesktop\.secrets/.test(message)) {
    return 'no keyring service (such as GNOME Keyring or KWallet) is running.'
  }
  if (/locked|prompt was dismissed/i.test(message)) return 'the keyring is locked.'
  return message
}
