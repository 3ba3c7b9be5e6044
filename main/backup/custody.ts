import type { SecretStore } from '../keychain/keychain.js'
import {
  backupKeyFromSecret,
  formatKeyHex,
  parseBackupKey,
  type BackupKey,
} from './key/backup-key.js'

/**
 * Backup keys in the OS keychain, one entry per key, named by the key's
 * fingerprint: a restore on a new profile finds the key from the fingerprint
 * a backup's sidecar names.
 */
export function keychainAccount(fingerprint: string): string {
  return `backup-key:${fingerprint}`
}

export function saveKeyToKeychain(store: SecretStore, key: BackupKey): void {
  store.set(keychainAccount(key.fingerprint), formatKeyHex(key.secret).replace(/ /g, ''))
}

/** The key with this fingerprint, or null when the keychain does not hold it. */
export function loadKeyFromKeychain(store: SecretStore, fingerprint: string): BackupKey | null {
  const stored = store.get(keychainAccount(fingerprint))
  if (stored === null) return null
  const key = parseBackupKey(stored)
  // An entry that does not hold the key it is named after is not that key.
  return key.fingerprint === fingerprint ? backupKeyFromSecret(key.secret) : null
}

export function deleteKeyFromKeychain(store: SecretStore, fingerprint: string): boolean {
  return store.delete(keychainAccount(fingerprint))
}
