import Database from 'better-sqlite3'
import { z } from 'zod'
import { accountSecrets, type AccountSecretPurpose } from '../keychain/account-secrets.js'
import type { SecretStore } from '../keychain/keychain.js'
import { CairnError, isCairnError } from '../shared/errors.js'

/**
 * The account passwords and tokens a backup carries (DESIGN.md, "Mail and
 * chat"): one archive entry, `cairn-secrets.json`, inside the encryption.
 * It is built in memory from the OS keychain and read back into memory; it
 * is never written into the profile folder, a staging folder or a temporary
 * file. A restore writes the secrets back into the keychain under the
 * restored profile's id.
 */
const PURPOSES = ['password', 'oauth'] as const satisfies readonly AccountSecretPurpose[]

export const secretsEntrySchema = z
  .object({
    format: z.literal('cairn-account-secrets'),
    formatVersion: z.literal(1),
    profileId: z.string(),
    secrets: z
      .array(
        z
          .object({
            accountId: z.number().int().positive(),
            kind: z.string(),
            purpose: z.enum(PURPOSES),
            secret: z.string().max(1 << 20),
          })
          .strict(),
      )
      .max(10_000),
  })
  .strict()

export type SecretsEntry = z.infer<typeof secretsEntrySchema>
/** A real entry is a few kilobytes; anything beyond this is not Cairn's. */
export const MAX_SECRETS_BYTES = 16 * 1024 * 1024

export interface AccountRow {
  id: number
  kind: string
}

export interface CollectedSecrets {
  /** The entry's bytes, or null when there is nothing to carry. */
  bytes: Buffer | null
  count: number
  /** Set when the keychain could not be read: the backup goes on without the secrets. */
  warning: string | null
}

/**
 * Read, for every account that syncs (not the local one), the secrets the
 * keychain holds for it. A keychain that cannot be used does not stop the
 * backup (the mail matters more, and a scheduled backup runs unattended,
 * perhaps before the keyring is unlocked): the backup is made without the
 * secrets and says so in a warning.
 */
export function collectAccountSecrets(
  store: SecretStore,
  profileId: string,
  accounts: readonly AccountRow[],
): CollectedSecrets {
  const syncing = accounts.filter((a) => a.kind !== 'local')
  if (syncing.length === 0) return { bytes: null, count: 0, warning: null }
  const secrets = accountSecrets(store, profileId)
  const found: SecretsEntry['secrets'] = []
  try {
    for (const account of syncing) {
      for (const purpose of PURPOSES) {
        const secret = secrets.get(account.id, purpose)
        if (secret !== null)
          found.push({ accountId: account.id, kind: account.kind, purpose, secret })
      }
    }
  } catch (error) {
    if (!isCairnError(error, 'KEYCHAIN_UNAVAILABLE')) throw error
    return {
      bytes: null,
      count: 0,
      warning:
        `${error.message} This backup holds no account passwords: after restoring it, ` +
        `Cairn will ask for the passwords of your ${syncing.length} account${syncing.length === 1 ? '' : 's'} again. ` +
        'Unlock the keychain and back up again to include them.',
    }
  }
  if (found.length === 0) return { bytes: null, count: 0, warning: null }
  const entry: SecretsEntry = {
    format: 'cairn-account-secrets',
    formatVersion: 1,
    profileId,
    secrets: found,
  }
  return { bytes: Buffer.from(JSON.stringify(entry)), count: found.length, warning: null }
}

/** The entry read from a backup, checked: it must be well-formed and belong to the backup's profile. */
export function parseSecretsEntry(bytes: Buffer, profileId: string): SecretsEntry {
  let json: unknown
  try {
    json = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw invalid('it is not valid JSON')
  }
  const parsed = secretsEntrySchema.safeParse(json)
  if (!parsed.success) throw invalid(parsed.error.issues[0]?.message ?? 'it is malformed')
  if (parsed.data.profileId !== profileId)
    throw invalid('it belongs to another profile than the backup')
  return parsed.data
}

/** Check that every secret belongs to an account of the backup's mailbox that syncs. */
export function checkSecretsAgainstAccounts(
  entry: SecretsEntry,
  accounts: readonly AccountRow[],
): void {
  const syncing = new Set(accounts.filter((a) => a.kind !== 'local').map((a) => a.id))
  const stray = entry.secrets.find((s) => !syncing.has(s.accountId))
  if (stray)
    throw invalid(
      `it holds a secret for account ${stray.accountId}, which its mailbox does not have`,
    )
}

/** Put the secrets back into the keychain under the restored profile's id; returns how many were written. */
export function putBackAccountSecrets(store: SecretStore, entry: SecretsEntry): number {
  const secrets = accountSecrets(store, entry.profileId)
  for (const s of entry.secrets) secrets.set(s.accountId, s.purpose, s.secret)
  return entry.secrets.length
}

/**
 * The syncing accounts of a restored mailbox whose settings the profile it
 * replaces does not have verbatim (same id, kind, address and server
 * settings): `liveDatabase` is null when there is no such profile (none, or
 * another profile's). A keychain secret is looked up by profile id and
 * account id alone, and anyone can encrypt a backup to the public
 * recipient: one holding the user's profile id and an account pointing to
 * a server of its own, without secrets, would otherwise have the saved
 * password sent there at the next sync.
 */
export function unvouchedAccounts(stagedDatabase: string, liveDatabase: string | null): number[] {
  const restored = accountSettings(stagedDatabase)
  let live = new Map<number, string>()
  if (liveDatabase) {
    try {
      live = accountSettings(liveDatabase)
    } catch {
      // A live mailbox that cannot be read vouches for nothing.
    }
  }
  return [...restored].filter(([id, settings]) => live.get(id) !== settings).map(([id]) => id)
}

function accountSettings(path: string): Map<number, string> {
  const db = new Database(path, { readonly: true, fileMustExist: true })
  try {
    // SELECT *: config_json came with schema 2, and a restore may bring back a schema-1 mailbox.
    const rows = db.prepare(`SELECT * FROM accounts WHERE kind <> 'local'`).all() as {
      id: number
      kind: string
      email?: string | null
      config_json?: string | null
    }[]
    return new Map(
      rows.map((r) => [r.id, JSON.stringify([r.kind, r.email ?? null, r.config_json ?? null])]),
    )
  } finally {
    db.close()
  }
}

/**
 * After the swap: the keychain secrets of `accounts` (unvouchedAccounts)
 * that the backup did not carry are removed, so the restored settings never
 * receive a secret saved for other ones; those accounts ask for it again.
 * Returns how many were removed.
 */
export function dropUnvouchedSecrets(
  store: SecretStore,
  profileId: string,
  accounts: readonly number[],
  carried: SecretsEntry | null,
): number {
  const secrets = accountSecrets(store, profileId)
  let dropped = 0
  for (const accountId of accounts) {
    for (const purpose of PURPOSES) {
      if (carried?.secrets.some((s) => s.accountId === accountId && s.purpose === purpose)) continue
      if (secrets.get(accountId, purpose) === null) continue
      secrets.delete(accountId, purpose)
      dropped++
    }
  }
  return dropped
}

function invalid(reason: string): CairnError {
  return new CairnError(
    'BACKUP_CORRUPT',
    `This backup cannot be used: its account secrets entry is invalid (${reason}).`,
  )
}
