import { statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { SecretStore } from '../../keychain/keychain.js'
import { Emitter } from '../../shared/emitter.js'
import { CairnError, errnoCode, isCairnError } from '../../shared/errors.js'
import { vaultConnection } from '../../vault/client-options.js'
import { runVaultJob } from '../../vault/vault-job.js'
import { loadKeyFromKeychain, saveKeyToKeychain } from '../custody.js'
import { parseBackupName } from '../destination/names.js'
import { localBackupFile } from '../destination/folder/local-file.js'
import { readSidecarOf, type Sidecar } from '../destination/sidecar.js'
import {
  backupKeyFromSecret,
  fingerprintOf,
  parseBackupKey,
  type BackupKey,
} from '../key/backup-key.js'
import { keyThatOpens } from '../key/choose-key.js'
import { liveBackupSection, readSettingsJson } from '../restore/keep-custody.js'
import {
  planRestore,
  type Confirmation,
  type ConfirmationKind,
  type RestorePlan,
  type RestoreSummary,
} from '../restore/restore.js'
import { parseRecipient } from '../age/x25519.js'
import { defaultBackupDir, type FolderEnvironment } from './default-folder.js'
import { destinationFor } from './history.js'
import type { RecentBackupFolders } from './recent-folders.js'

/** A backup the wizard can restore: found in a folder, or a file the user chose. */
export interface BackupCandidate {
  path: string
  folder: string
  name: string
  /** From the name (or the sidecar for a renamed file); the encrypted contents are checked later. */
  createdAt: string | null
  size: number
  profileId: string | null
  keyFingerprint: string | null
  vaultId: string | null
  complete: boolean
  /** The keychain holds a key this backup names: nothing to type. */
  keyInKeychain: boolean
}

export type SearchReason = 'default' | 'configured' | 'recent' | 'chosen'

export interface FoundBackups {
  searched: { folder: string; why: SearchReason; found: number; problem: string | null }[]
  /** Newest first. */
  backups: BackupCandidate[]
  /** The one to offer first: the newest complete backup (of this profile, when it has any). */
  suggested: string | null
  /** The vault address to offer for a backup whose key is behind a password. */
  defaultVaultUrl: string | null
}

/** Where the key comes from. */
export type KeySource =
  | { source: 'keychain' }
  | { source: 'digits'; text: string; custody?: 'keychain' | 'user' }
  | { source: 'vault'; url: string; password: string; recordId?: string }

export interface PlanView {
  summary: RestoreSummary
  confirmations: readonly Confirmation[]
  /** The live profile holds mail, chats or accounts that the restore replaces. */
  replacesSomething: boolean
  keyFingerprint: string
}

export interface RestoreDone {
  createdAt: string
  messages: number
  accountSecretsRestored: number
  warnings: string[]
}

export type RestorePhase = 'opening-key' | 'checking' | 'replacing' | 'reopening'

export interface RestoreEvents {
  [name: string]: unknown
  progress: { phase: RestorePhase; bytesDone: number; bytesTotal: number }
  finished:
    { ok: true; done: RestoreDone } | { ok: false; error: { code: string; message: string } }
}

export interface RestoreCoordinatorDeps {
  profileDir: string
  keychain: SecretStore
  env: NodeJS.ProcessEnv
  folders: FolderEnvironment
  recent: RecentBackupFolders
  /** The live profile's settings are read from its folder; the services are closed for the swap by this. */
  whileClosed<T>(work: () => Promise<T>): Promise<T>
  vaultJob?: typeof runVaultJob
}

/**
 * The restore wizard's work, main side, for the app's screens and for
 * `cairn restore` sent to the running app: find backups (the default folder
 * first, then the profile's folder and the last ones used, or what the user
 * chose), get the key (the keychain, typed digits, or the vault), plan the
 * restore (everything checked, nothing changed), and on the user's yes swap
 * it in with the profile's services closed, then open them on the restored
 * profile. One restore at a time; a plan waits in memory until executed or
 * discarded (its staging folder is removed then).
 */
export class RestoreCoordinator {
  readonly events = new Emitter<RestoreEvents>()
  private plan: { plan: RestorePlan; key: BackupKey; file: string } | null = null
  private busy = false

  constructor(private readonly deps: RestoreCoordinatorDeps) {}

  /** Backups in the default folder, the profile's folder, recent folders and `chosen` (a file or folder). */
  async find(chosen?: string): Promise<FoundBackups> {
    const live = liveBackupSection(this.deps.profileDir)
    const places: { folder: string; why: SearchReason }[] = []
    const add = (folder: string | null | undefined, why: SearchReason) => {
      if (folder && !places.some((p) => p.folder === folder)) places.push({ folder, why })
    }
    let chosenFile: string | null = null
    if (chosen) {
      const kind = pathKind(chosen)
      if (kind === 'file') chosenFile = chosen
      else if (kind === 'folder') add(chosen, 'chosen')
      else
        throw new CairnError(
          'NOT_FOUND',
          `There is nothing at ${chosen}. Check the path of the backup file or of the folder that holds your backups.`,
        )
    }
    add(defaultBackupDir(this.deps.folders), 'default')
    add(live?.destination, 'configured')
    for (const folder of this.deps.recent.list()) add(folder, 'recent')

    const backups: BackupCandidate[] = []
    const searched: FoundBackups['searched'] = []
    if (chosenFile) {
      backups.push(await this.candidate(chosenFile, readSidecarOf(chosenFile), null))
      searched.push({ folder: dirname(chosenFile), why: 'chosen', found: 1, problem: null })
    }
    for (const { folder, why } of places) {
      const found = await this.scan(folder)
      searched.push({ folder, why, found: found.backups.length, problem: found.problem })
      for (const b of found.backups) if (!backups.some((c) => c.path === b.path)) backups.push(b)
    }
    backups.sort((a, b) => ((a.createdAt ?? '') < (b.createdAt ?? '') ? 1 : -1))
    const profileId = liveProfileId(this.deps.profileDir)
    const complete = backups.filter((b) => b.complete)
    const suggested =
      (chosenFile ? backups.find((b) => b.path === chosenFile) : undefined) ??
      complete.find((b) => b.profileId !== null && b.profileId === profileId) ??
      complete[0] ??
      backups[0]
    return {
      searched,
      backups,
      suggested: suggested?.path ?? null,
      defaultVaultUrl: this.deps.env.CAIRN_VAULT_URL?.trim() || live?.vault?.url || null,
    }
  }

  /**
   * Open the key and plan the restore of `file`: decrypt, check and unpack
   * beside the profile, without changing it. Says what would be replaced
   * and what needs a yes. A plan waiting from before is dropped.
   */
  async start(file: string, key: KeySource): Promise<PlanView> {
    if (this.busy)
      throw new CairnError('RESTORE_BUSY', 'A restore is already under way; wait for it to finish.')
    this.busy = true
    this.discard()
    try {
      checkBackupFile(file)
      this.progress('opening-key', 0, 0)
      const opened = await this.keyFor(file, key)
      const plan = await planRestore({
        file,
        key: opened.key,
        profileDir: this.deps.profileDir,
        keyCustody: opened.custody,
        offThread: true,
        onProgress: ({ bytesDone, bytesTotal }) => this.progress('checking', bytesDone, bytesTotal),
      })
      this.plan = { plan, key: opened.key, file }
      const { live } = plan.summary
      return {
        summary: plan.summary,
        confirmations: plan.confirmations,
        replacesSomething: live.exists && !live.empty,
        keyFingerprint: opened.key.fingerprint,
      }
    } catch (error) {
      throw saysNothingChanged(error)
    } finally {
      this.busy = false
    }
  }

  /**
   * Swap the planned backup in, with the kinds of confirmation the user
   * gave: the profile's services are closed, the profile replaced (or, on
   * any failure, left as it was), and the services opened again on it.
   */
  async execute(confirm: readonly ConfirmationKind[]): Promise<RestoreDone> {
    const pending = this.plan
    if (!pending)
      throw new CairnError(
        'INVALID_ARGUMENT',
        'There is no restore waiting to be carried out: choose the backup again.',
      )
    if (this.busy)
      throw new CairnError('RESTORE_BUSY', 'A restore is already under way; wait for it to finish.')
    const missing = pending.plan.confirmations.filter((c) => !confirm.includes(c.kind))
    if (missing.length > 0)
      throw new CairnError(
        'RESTORE_NEEDS_CONFIRMATION',
        `${missing.map((c) => c.message).join(' ')} Nothing was changed.`,
      )
    this.busy = true
    try {
      this.progress('replacing', 0, 0)
      const result = await this.deps.whileClosed(async () => {
        try {
          return await pending.plan.execute({ confirm })
        } finally {
          this.progress('reopening', 0, 0)
        }
      })
      this.plan = null
      this.deps.recent.remember(dirname(pending.file))
      const warnings = [...result.warnings, ...this.keepKeyOnThisComputer(pending.key)]
      const done: RestoreDone = {
        createdAt: result.summary.backup.createdAt,
        messages: result.summary.backup.messages,
        accountSecretsRestored: result.accountSecretsRestored,
        warnings,
      }
      this.events.emit('finished', { ok: true, done })
      return done
    } catch (error) {
      if (this.plan === pending) {
        pending.plan.discard()
        this.plan = null
      }
      const failure = isCairnError(error)
        ? error
        : new CairnError('RESTORE_FAILED', (error as Error).message)
      this.events.emit('finished', {
        ok: false,
        error: { code: failure.code, message: failure.message },
      })
      throw failure
    } finally {
      this.busy = false
    }
  }

  /** Drop a planned restore (its staging folder goes). */
  discard(): void {
    this.plan?.plan.discard()
    this.plan = null
  }

  get running(): boolean {
    return this.busy
  }

  private progress(phase: RestorePhase, bytesDone: number, bytesTotal: number): void {
    this.events.emit('progress', { phase, bytesDone, bytesTotal })
  }

  /**
   * A restored profile whose key the keychain should hold (kept there, or
   * behind a vault password) gets it back into this computer's keychain:
   * a new computer then verifies and checks its vault record like the old one.
   */
  private keepKeyOnThisComputer(key: BackupKey): string[] {
    const restored = liveBackupSection(this.deps.profileDir)
    if (!restored || restored.fingerprint !== key.fingerprint || restored.custody === 'user')
      return []
    try {
      if (!loadKeyFromKeychain(this.deps.keychain, key.fingerprint))
        saveKeyToKeychain(this.deps.keychain, key)
      return []
    } catch (error) {
      return [
        `The backup key could not be put into this computer's keychain (${(error as Error).message}); ` +
          'keep your written-down key or vault password: later restores will ask for it.',
      ]
    }
  }

  private async keyFor(
    file: string,
    source: KeySource,
  ): Promise<{ key: BackupKey; custody: 'keychain' | 'user' | 'vault' }> {
    const sidecar = readSidecarOf(file)
    if (source.source === 'keychain') {
      const fingerprints = new Set<string>()
      if (sidecar) fingerprints.add(sidecar.keyFingerprint)
      const live = liveBackupSection(this.deps.profileDir)
      if (live) fingerprints.add(live.fingerprint)
      const found: BackupKey[] = []
      for (const fingerprint of fingerprints) {
        const key = loadKeyFromKeychain(this.deps.keychain, fingerprint)
        if (key) found.push(key)
      }
      const key = await keyThatOpens(localBackupFile(file), found)
      if (!key)
        throw new CairnError(
          'KEY_MISSING',
          `This computer's keychain has no key that opens this backup${sidecar ? ` (it was made with the key ${sidecar.keyFingerprint})` : ''}. ` +
            'Type its 64-digit key, or use your vault password.',
        )
      return { key, custody: 'keychain' }
    }
    if (source.source === 'digits') {
      const key = parseBackupKey(source.text)
      if (!(await keyThatOpens(localBackupFile(file), [key])))
        throw wrongKey(key.fingerprint, sidecar, 'This key')
      return { key, custody: source.custody ?? 'user' }
    }
    const recordId = source.recordId ?? sidecar?.vaultId ?? null
    if (!recordId)
      throw new CairnError(
        'KEY_MISSING',
        "This backup's description names no vault record, so the vault cannot be asked for its key. " +
          'Type the 64-digit key instead, or the record id from your recovery sheet.',
      )
    if (!source.url.trim())
      throw new CairnError(
        'INVALID_ARGUMENT',
        'Give the address of your Backup Key Vault (it is on your recovery sheet).',
      )
    const { backupKey } = await (this.deps.vaultJob ?? runVaultJob)(
      { url: source.url.trim(), ...vaultConnection(this.deps.env) },
      { op: 'recover', recordId, password: source.password },
    )
    const key = backupKeyFromSecret(backupKey)
    if (!(await keyThatOpens(localBackupFile(file), [key])))
      throw wrongKey(key.fingerprint, sidecar, 'The vault’s key')
    return { key, custody: 'vault' }
  }

  private async scan(
    folder: string,
  ): Promise<{ backups: BackupCandidate[]; problem: string | null }> {
    const kind = pathKind(folder)
    if (kind === 'missing') return { backups: [], problem: 'This folder does not exist.' }
    if (kind !== 'folder') return { backups: [], problem: 'This is not a folder.' }
    const destination = destinationFor(folder)
    try {
      // The destination's own listing: only Cairn's names, regular files, sidecars checked.
      const listed = await destination.list()
      return {
        backups: await Promise.all(
          listed.map((b) =>
            this.candidate(join(folder, b.name), b.sidecar, {
              complete: b.complete,
              size: b.size,
              createdAt: b.createdAt,
            }),
          ),
        ),
        problem: listed.length === 0 ? 'No Cairn backups in this folder.' : null,
      }
    } catch (error) {
      return { backups: [], problem: (error as Error).message }
    } finally {
      await destination.close()
    }
  }

  private async candidate(
    path: string,
    sidecar: Sidecar | null,
    listed: { complete: boolean; size: number; createdAt: Date } | null,
  ): Promise<BackupCandidate> {
    const size = listed?.size ?? statSync(path).size
    const fingerprints = new Set<string>()
    if (sidecar && sidecarKeyIsItsRecipient(sidecar)) fingerprints.add(sidecar.keyFingerprint)
    const live = liveBackupSection(this.deps.profileDir)
    if (live) fingerprints.add(live.fingerprint)
    let keyInKeychain = false
    try {
      const keys = [...fingerprints]
        .map((f) => loadKeyFromKeychain(this.deps.keychain, f))
        .filter((k): k is BackupKey => k !== null)
      keyInKeychain = (await keyThatOpens(localBackupFile(path), keys)) !== null
    } catch {
      // No usable keychain: the key will be typed.
    }
    const named = parseBackupName(basename(path))
    return {
      path,
      folder: dirname(path),
      name: basename(path),
      createdAt: (listed?.createdAt ?? named)?.toISOString() ?? sidecar?.createdAt ?? null,
      size,
      profileId: sidecar?.profileId ?? null,
      keyFingerprint: sidecar?.keyFingerprint ?? null,
      vaultId: sidecar?.vaultId ?? null,
      complete: listed?.complete ?? (sidecar !== null && sidecar.size === size),
      keyInKeychain,
    }
  }
}

/**
 * Planning changes nothing on disk, whatever stopped it: the message says
 * so, for the user deciding what to try next.
 */
function saysNothingChanged(error: unknown): unknown {
  if (
    !isCairnError(error) ||
    /not changed|Nothing was changed|nothing has changed/i.test(error.message)
  )
    return error
  return new CairnError(error.code, `${error.message.replace(/\s*$/, '')} Nothing was changed.`, {
    cause: error,
  })
}

/** A sidecar's fingerprint is only a hint; one that is not its own recipient's is ignored for lookups. */
function sidecarKeyIsItsRecipient(sidecar: Sidecar): boolean {
  try {
    return fingerprintOf(parseRecipient(sidecar.recipient)) === sidecar.keyFingerprint
  } catch {
    return false
  }
}

function wrongKey(fingerprint: string, sidecar: Sidecar | null, what: string): CairnError {
  return new CairnError(
    'KEY_MISMATCH',
    `${what} (fingerprint ${fingerprint}) does not open this backup` +
      (sidecar ? `: it was made with the key ${sidecar.keyFingerprint}` : '') +
      '. Check the digits against your recovery sheet, or choose another backup. Nothing was changed.',
  )
}

function checkBackupFile(file: string): void {
  const kind = pathKind(file)
  if (kind === 'file') return
  throw new CairnError(
    kind === 'missing' ? 'NOT_FOUND' : 'INVALID_ARGUMENT',
    kind === 'missing'
      ? `The backup ${file} is gone (a drive was disconnected?). Choose the backup again.`
      : `${file} is not a backup file.`,
  )
}

function pathKind(path: string): 'file' | 'folder' | 'missing' | 'other' {
  try {
    const stats = statSync(path)
    return stats.isFile() ? 'file' : stats.isDirectory() ? 'folder' : 'other'
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return 'missing'
    throw new CairnError(
      'BACKUP_DESTINATION',
      `Cairn cannot look at ${path} (${errnoCode(error) ?? 'error'}): check that you may read it.`,
      { cause: error },
    )
  }
}

function liveProfileId(profileDir: string): string | null {
  const id = readSettingsJson(join(profileDir, 'settings.json'))?.profileId
  return typeof id === 'string' ? id : null
}
