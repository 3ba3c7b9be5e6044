import type { BackupSettings } from '../backup/backup-settings.js'
import { loadKeyFromKeychain } from '../backup/custody.js'
import type { BackupKey } from '../backup/key/backup-key.js'
import type { SecretStore } from '../keychain/keychain.js'
import { describeError, isCairnError } from '../shared/errors.js'
import { VaultClient, type VaultClientOptions } from './client.js'

/**
 * What a check of the profile's vault record found:
 * - ok: the record exists and has seen no wrong password since it was last opened;
 * - guessed: it exists, but wrong passwords were tried (someone who knows its id may be guessing);
 * - destroyed / deleted / missing: the password no longer recovers the key;
 * - check-failed: the vault could not be asked (offline, rate limited, …);
 * - no-key: the backup key is not on this computer, so nothing proves ownership;
 * - not-in-vault: this profile keeps its key some other way.
 */
export type VaultRecordState =
  | 'ok'
  | 'guessed'
  | 'destroyed'
  | 'deleted'
  | 'missing'
  | 'check-failed'
  | 'no-key'
  | 'not-in-vault'

/** What the app should offer the user. */
export type VaultRecordAction =
  | 'none'
  /** Log in with the password (`cairn vault verify`): the wrong-password count goes back to zero. */
  | 'confirm-password'
  /** Register again with the key this computer still holds (`cairn vault register`): a new record. */
  | 'set-new-password'
  | 'retry-later'
  /** Put the backup key back into the keychain (`cairn vault recover`, `cairn key import`). */
  | 'put-key-back'

export interface VaultRecordStatus {
  state: VaultRecordState
  action: VaultRecordAction
  /** For the user: what is the matter and what to do. */
  message: string
  checkedAt: string
  recordId: string | null
  vaultUrl: string | null
  guessesUsed?: number
  maxGuesses?: number
  /** When the vault accepts the next login attempt, if it makes attempts wait. */
  nextGuessAt?: string | null
}

/** The record a profile keeps its key in, with the key's fingerprint. */
export interface VaultRecordRef {
  url: string
  recordId: string
  fingerprint: string
}

/** The profile's vault record, or null when it keeps its key some other way. */
export function vaultRecordOf(settings: BackupSettings | null): VaultRecordRef | null {
  return settings?.custody === 'vault' && settings.vault
    ? { ...settings.vault, fingerprint: settings.fingerprint }
    : null
}

export interface RecordCheckInput {
  record: VaultRecordRef | null
  keychain: SecretStore
  /** The key, when the caller has it already (`--key-file`); else it comes from the keychain. */
  key?: BackupKey | null
  clientOptions?: Omit<VaultClientOptions, 'url'>
  now?: () => Date
}

const SET_NEW =
  'Your backups are safe and still open with the backup key on this computer, but the password no longer recovers it. ' +
  'Set a new vault password (cairn vault register, or Backup settings): it makes a new record; write its id on a new recovery sheet.'

/**
 * Ask the vault about the profile's record. Spends no guess: ownership is
 * proved with a token derived from the backup key, which the app keeps in
 * the keychain. Never throws; every outcome is a status with a message.
 */
export async function checkVaultRecord(input: RecordCheckInput): Promise<VaultRecordStatus> {
  const checkedAt = (input.now?.() ?? new Date()).toISOString()
  const vault = input.record
  const base = { checkedAt, recordId: vault?.recordId ?? null, vaultUrl: vault?.url ?? null }
  if (!vault) {
    return {
      ...base,
      state: 'not-in-vault',
      action: 'none',
      message: 'This profile does not keep its backup key in the Backup Key Vault.',
    }
  }
  let key: BackupKey | null
  try {
    key = input.key ?? loadKeyFromKeychain(input.keychain, vault.fingerprint)
  } catch (error) {
    return { ...base, state: 'no-key', action: 'retry-later', message: describeError(error) }
  }
  if (!key) {
    return {
      ...base,
      state: 'no-key',
      action: 'put-key-back',
      message: `The backup key (fingerprint ${vault.fingerprint}) is not in this computer's keychain, so its vault record cannot be checked. Recover it with the vault password (cairn vault recover).`,
    }
  }
  try {
    const answer = await new VaultClient({ url: vault.url, ...input.clientOptions }).status(
      vault.recordId,
      key.secret,
    )
    switch (answer.state) {
      case 'active':
        if (answer.guessesUsed === 0)
          return {
            ...base,
            state: 'ok',
            action: 'none',
            message:
              'Your vault record is in place; no wrong password was tried since it was last opened.',
            guessesUsed: 0,
            maxGuesses: answer.maxGuesses,
            nextGuessAt: null,
          }
        return {
          ...base,
          state: 'guessed',
          action: 'confirm-password',
          message:
            `${answer.guessesUsed} wrong password${answer.guessesUsed === 1 ? ' was' : 's were'} tried on your vault record since it was last opened; ` +
            `after ${answer.maxGuesses} the key is destroyed. If that was not you, someone who knows the record id (it is in every backup's sidecar) is guessing: ` +
            'confirm your password now (cairn vault verify) to set the count back to zero.',
          guessesUsed: answer.guessesUsed,
          maxGuesses: answer.maxGuesses,
          nextGuessAt: answer.nextGuessAt,
        }
      case 'destroyed':
        return {
          ...base,
          state: 'destroyed',
          action: 'set-new-password',
          message: `Your vault record was destroyed after too many wrong passwords. ${SET_NEW}`,
        }
      case 'deleted':
        return {
          ...base,
          state: 'deleted',
          action: 'set-new-password',
          message: `Your vault record was deleted (cairn vault delete, perhaps on another computer). ${SET_NEW}`,
        }
      case 'unknown':
        return {
          ...base,
          state: 'missing',
          action: 'set-new-password',
          message: `The vault at ${vault.url} does not know this record for this backup key (it was removed, or the vault was reset). ${SET_NEW}`,
        }
    }
  } catch (error) {
    return {
      ...base,
      state: 'check-failed',
      action: isCairnError(error, 'VAULT_INSECURE') ? 'none' : 'retry-later',
      message: `The vault record could not be checked: ${describeError(error)}`,
    }
  }
}

/**
 * Checks the record regularly for the app's services: soon after the
 * profile opens, then every `everyMs` (12 hours: with the vault's default
 * spacing, burning a record by guessing takes over 31 hours, so a running
 * app sees it at least twice before the last guess). Keeps the latest
 * status for the UI and tells listeners when it changes.
 */
export class VaultRecordWatch {
  private latestStatus: VaultRecordStatus | null = null
  private readonly listeners = new Set<(status: VaultRecordStatus) => void>()
  private first: NodeJS.Timeout | null = null
  private repeat: NodeJS.Timeout | null = null
  private running: Promise<VaultRecordStatus> | null = null

  constructor(
    private readonly check: () => Promise<VaultRecordStatus>,
    private readonly timing: { firstAfterMs?: number; everyMs?: number } = {},
  ) {}

  start(): void {
    if (this.first || this.repeat) return
    this.first = setTimeout(() => {
      this.first = null
      this.checkInBackground()
      this.repeat = setInterval(
        () => this.checkInBackground(),
        this.timing.everyMs ?? 12 * 3600_000,
      )
      this.repeat.unref()
    }, this.timing.firstAfterMs ?? 60_000)
    this.first.unref()
  }

  private checkInBackground(): void {
    this.checkNow().catch(() => undefined)
  }

  /** Check now (one check at a time); the result is also kept and announced. */
  checkNow(): Promise<VaultRecordStatus> {
    this.running ??= this.check()
      .catch((error: unknown): VaultRecordStatus => ({
        state: 'check-failed',
        action: 'retry-later',
        message: `The vault record could not be checked: ${describeError(error)}`,
        checkedAt: new Date().toISOString(),
        recordId: null,
        vaultUrl: null,
      }))
      .then((status) => {
        const changed =
          this.latestStatus?.state !== status.state ||
          this.latestStatus?.guessesUsed !== status.guessesUsed
        this.latestStatus = status
        if (changed) {
          for (const listener of this.listeners) {
            try {
              listener(status)
            } catch {
              // A listener's failure is its own; the others still hear.
            }
          }
        }
        return status
      })
      .finally(() => {
        this.running = null
      })
    return this.running
  }

  latest(): VaultRecordStatus | null {
    return this.latestStatus
  }

  onChange(listener: (status: VaultRecordStatus) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async stop(): Promise<void> {
    if (this.first) clearTimeout(this.first)
    if (this.repeat) clearInterval(this.repeat)
    this.first = this.repeat = null
    await this.running?.catch(() => undefined)
  }
}
