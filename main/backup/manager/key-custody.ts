import { randomInt, randomUUID } from 'node:crypto'
import { KEY_GROUPS } from '../../../common/backup-key-text.js'
import type { SecretStore } from '../../keychain/keychain.js'
import type { Profile } from '../../profile/profile.js'
import { CairnError, isCairnError } from '../../shared/errors.js'
import { VaultClient } from '../../vault/client.js'
import { vaultConnection } from '../../vault/client-options.js'
import type { VaultRecordStatus } from '../../vault/record-check.js'
import { runVaultJob } from '../../vault/vault-job.js'
import { readBackupSettings, setBackupKey, type BackupSettings } from '../backup-settings.js'
import { deleteKeyFromKeychain, loadKeyFromKeychain, saveKeyToKeychain } from '../custody.js'
import {
  backupKeyFromSecret,
  formatKeyHex,
  generateBackupKey,
  type BackupKey,
} from '../key/backup-key.js'
import { recoverySheetContent, type RecoverySheetContent } from '../key/recovery-sheet.js'
import { keyIsWrittenDown, readBackupUiState, updateBackupUiState } from './ui-state.js'

/** The backup key as the settings screen shows it: never the secret. */
export interface KeyView {
  configured: boolean
  fingerprint: string | null
  custody: BackupSettings['custody'] | null
  createdAt: string | null
  /** The keychain holds the key (null: the keychain cannot be asked). */
  inKeychain: boolean | null
  /** Why the keychain cannot be used, in words, or null. */
  keychainProblem: string | null
  /** The user typed digits of this key back: they have it on paper. */
  writtenDown: boolean
  vault: { url: string; recordId: string } | null
  vaultStatus: VaultRecordStatus | null
  /** The vault address to offer (CAIRN_VAULT_URL, else the profile's). */
  defaultVaultUrl: string | null
}

/** A key shown to be written down: its digits, its recovery sheet, and which groups to type back. */
export interface RevealedKey {
  pendingId: string
  newKey: boolean
  fingerprint: string
  groups: string[]
  sheet: RecoverySheetContent
  /** Group numbers (1 to 16) the user types back to show they have the key. */
  challenge: number[]
}

export interface KeyCustodyDeps {
  profile: Profile
  keychain: SecretStore
  env: NodeJS.ProcessEnv
  /** Vault registration in a worker (a stand-in in unit tests). */
  vaultJob?: typeof runVaultJob
  now?: () => Date
}

interface Pending {
  key: BackupKey
  newKey: boolean
  challenge: number[]
  expiresAt: number
}

const PENDING_MS = 30 * 60_000
/** A vault password shorter than this is refused whatever the strength meter says. */
export const MIN_VAULT_PASSWORD = 8

/**
 * Where the profile's backup key is kept, and the changes the settings
 * screen makes: a new key in the keychain; the key shown once as 64 digits
 * and confirmed by typing some back (kept by the user, or in the keychain as
 * well); the key behind a vault password. A new key replaces the old one
 * for new backups only: the old key stays in the keychain (when it was
 * there), since older backups still need it.
 *
 * A key shown for writing down waits in memory (never on disk) until the
 * user confirms, at most 30 minutes.
 */
export class KeyCustody {
  private readonly pending = new Map<string, Pending>()

  constructor(private readonly deps: KeyCustodyDeps) {}

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))()
  }

  view(vaultStatus: VaultRecordStatus | null): KeyView {
    const settings = readBackupSettings(this.deps.profile)
    const ui = readBackupUiState(this.deps.profile)
    let inKeychain: boolean | null = null
    let keychainProblem: string | null = null
    try {
      if (settings)
        inKeychain = loadKeyFromKeychain(this.deps.keychain, settings.fingerprint) !== null
      else {
        this.deps.keychain.get('cairn-keychain-check') // is there a usable keychain at all?
        inKeychain = false
      }
    } catch (error) {
      if (!isCairnError(error)) throw error
      keychainProblem = error.message
    }
    return {
      configured: settings !== null,
      fingerprint: settings?.fingerprint ?? null,
      custody: settings?.custody ?? null,
      createdAt: settings?.keyCreatedAt ?? null,
      inKeychain,
      keychainProblem,
      writtenDown: settings ? keyIsWrittenDown(ui, settings.fingerprint) : false,
      vault: settings?.vault ?? null,
      vaultStatus: settings?.custody === 'vault' ? vaultStatus : null,
      defaultVaultUrl: this.deps.env.CAIRN_VAULT_URL?.trim() || settings?.vault?.url || null,
    }
  }

  /** A new key, kept in the OS keychain: the default custody. */
  createInKeychain(): { fingerprint: string } {
    const key = generateBackupKey()
    this.saveToKeychain(key, 'The key was not created: choose "Written down" to keep it yourself.')
    setBackupKey(this.deps.profile, key, 'keychain')
    return { fingerprint: key.fingerprint }
  }

  /**
   * Show a key to write down: a new one (not saved anywhere until the user
   * confirms), or the current one from the keychain.
   */
  reveal(options: { newKey: boolean }): RevealedKey {
    this.expire()
    let key: BackupKey
    if (options.newKey) key = generateBackupKey()
    else {
      const settings = this.requireSettings()
      const found = loadKeyFromKeychain(this.deps.keychain, settings.fingerprint)
      if (!found)
        throw new CairnError(
          'KEY_MISSING',
          settings.custody === 'user'
            ? `Your backup key (fingerprint ${settings.fingerprint}) is not stored on this computer: it was shown once when it was made. If you lost it, create a new key.`
            : `The keychain has no key with fingerprint ${settings.fingerprint}, so it cannot be shown. If you kept it elsewhere, restore with it; or create a new key.`,
        )
      key = found
    }
    const challenge = pickChallenge()
    const pendingId = randomUUID()
    this.pending.set(pendingId, {
      key,
      newKey: options.newKey,
      challenge,
      expiresAt: Date.now() + PENDING_MS,
    })
    return {
      pendingId,
      newKey: options.newKey,
      fingerprint: key.fingerprint,
      groups: formatKeyHex(key.secret).split(' '),
      sheet: this.sheetOf(key),
      challenge,
    }
  }

  /**
   * The user typed back the asked groups. For a new key, it becomes the
   * profile's key: kept by the user, or in the keychain as well. For the
   * current key, it is noted as written down; without `keepInKeychain` it
   * leaves the keychain (kept by the user alone).
   */
  confirmWrittenDown(input: { pendingId: string; answers: string[]; keepInKeychain: boolean }): {
    fingerprint: string
    custody: BackupSettings['custody']
  } {
    this.expire()
    const pending = this.pending.get(input.pendingId)
    if (!pending)
      throw new CairnError(
        'INVALID_ARGUMENT',
        'This key is no longer waiting for confirmation (it waits 30 minutes). Start again.',
      )
    const groups = formatKeyHex(pending.key.secret).split(' ')
    pending.challenge.forEach((group, i) => {
      const typed = (input.answers[i] ?? '').replace(/[\s-]/g, '').toLowerCase()
      if (typed !== groups[group - 1])
        throw new CairnError(
          'KEY_MISMATCH',
          `Group ${group} does not match the key shown: look at what you wrote down and type group ${group} again. Nothing was saved yet.`,
        )
    })
    const { key } = pending
    const current = readBackupSettings(this.deps.profile)
    let custody: BackupSettings['custody']
    if (pending.newKey || !current || current.fingerprint !== key.fingerprint) {
      custody = input.keepInKeychain ? 'keychain' : 'user'
      if (custody === 'keychain') this.saveToKeychain(key, 'Nothing was saved.')
      setBackupKey(this.deps.profile, key, custody)
    } else if (!input.keepInKeychain && current.custody === 'keychain') {
      custody = 'user'
      setBackupKey(this.deps.profile, key, 'user')
      try {
        deleteKeyFromKeychain(this.deps.keychain, key.fingerprint)
      } catch {
        // The settings say the user keeps it; a copy left in a broken keychain does no harm.
      }
    } else custody = current.custody
    updateBackupUiState(this.deps.profile, () => ({
      keyWrittenDown: { fingerprint: key.fingerprint, at: this.now().toISOString() },
    }))
    this.pending.delete(input.pendingId)
    return { fingerprint: key.fingerprint, custody }
  }

  cancel(pendingId: string): void {
    this.pending.delete(pendingId)
  }

  /**
   * Keep the key behind a vault password: the current key (from the
   * keychain) or a new one. The key stays in the keychain too, so the app
   * can check the vault record without spending a guess.
   */
  async setUpVault(input: { url: string; password: string; newKey: boolean }): Promise<{
    recordId: string
    fingerprint: string
    sheet: RecoverySheetContent
  }> {
    if (input.password.length < MIN_VAULT_PASSWORD)
      throw new CairnError(
        'INVALID_ARGUMENT',
        `The vault password must have at least ${MIN_VAULT_PASSWORD} characters; a longer one (a few words) is better.`,
      )
    const options = { url: input.url.trim(), ...vaultConnection(this.deps.env) }
    new VaultClient(options) // checks the address (https, or http to this computer) before anything else
    let key: BackupKey
    if (input.newKey) key = generateBackupKey()
    else {
      const settings = this.requireSettings()
      const found = loadKeyFromKeychain(this.deps.keychain, settings.fingerprint)
      if (!found)
        throw new CairnError(
          'KEY_MISSING',
          `Your current key (fingerprint ${settings.fingerprint}) is not in the keychain, so it cannot be sent to the vault. Create a new key behind the password instead.`,
        )
      key = found
    }
    const { recordId } = await (this.deps.vaultJob ?? runVaultJob)(options, {
      op: 'register',
      password: input.password,
      backupKey: key.secret,
    })
    try {
      saveKeyToKeychain(this.deps.keychain, key)
    } catch {
      // Without a keychain the record cannot be checked from here; the password still recovers the key.
    }
    setBackupKey(this.deps.profile, key, 'vault', { url: options.url, recordId })
    return {
      recordId,
      fingerprint: key.fingerprint,
      sheet: this.sheetOf(key, { recordId, url: options.url }),
    }
  }

  /** The current key's recovery sheet (the key from the keychain). */
  sheet(): RecoverySheetContent {
    const settings = this.requireSettings()
    const key = loadKeyFromKeychain(this.deps.keychain, settings.fingerprint)
    if (!key)
      throw new CairnError(
        'KEY_MISSING',
        `The keychain has no key with fingerprint ${settings.fingerprint}: its recovery sheet cannot be made on this computer.`,
      )
    return this.sheetOf(key, settings.vault ?? undefined)
  }

  /** The key a restore or verify can use without asking: the profile's, from the keychain. */
  keyFromKeychain(fingerprint: string): BackupKey | null {
    try {
      return loadKeyFromKeychain(this.deps.keychain, fingerprint)
    } catch {
      return null
    }
  }

  private sheetOf(key: BackupKey, vault?: { recordId: string; url: string }): RecoverySheetContent {
    const settings = readBackupSettings(this.deps.profile)
    const createdAt =
      settings?.fingerprint === key.fingerprint ? new Date(settings.keyCreatedAt) : this.now()
    return recoverySheetContent(backupKeyFromSecret(key.secret), {
      createdAt,
      vaultId: vault?.recordId,
      vaultUrl: vault?.url ?? null,
    })
  }

  private saveToKeychain(key: BackupKey, consequence: string): void {
    try {
      saveKeyToKeychain(this.deps.keychain, key)
    } catch (error) {
      if (isCairnError(error, 'KEYCHAIN_UNAVAILABLE'))
        throw new CairnError('KEYCHAIN_UNAVAILABLE', `${error.message} ${consequence}`)
      throw error
    }
  }

  private requireSettings(): BackupSettings {
    const settings = readBackupSettings(this.deps.profile)
    if (!settings)
      throw new CairnError(
        'BACKUP_NOT_CONFIGURED',
        'Backups are not set up yet: create a key first.',
      )
    return settings
  }

  private expire(): void {
    const now = Date.now()
    for (const [id, p] of this.pending) if (p.expiresAt < now) this.pending.delete(id)
    // A screen opened many times keeps only its latest few.
    while (this.pending.size > 4) this.pending.delete(this.pending.keys().next().value as string)
  }
}

/** Two different groups, neither the first: enough to show the whole key was copied, few to type. */
function pickChallenge(): number[] {
  const first = 2 + randomInt(KEY_GROUPS - 1)
  let second = first
  while (second === first) second = 2 + randomInt(KEY_GROUPS - 1)
  return [first, second].sort((a, b) => a - b)
}
