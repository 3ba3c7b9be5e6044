import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import { profileFiles } from '../profile/layout.js'
import { CairnError } from '../shared/errors.js'
import { reachedStep } from '../shared/test-hooks.js'
import { parseBackupName } from './destination/names.js'
import type { BackupSource } from './destination/backup-source.js'
import { openBackupSource } from './destination/resolve.js'
import type { Sidecar } from './destination/sidecar.js'
import type { BackupKey } from './key/backup-key.js'
import { keyThatOpens } from './key/choose-key.js'
import { checkSecretsAgainstAccounts, parseSecretsEntry } from './secrets-entry.js'
import { checkManifestGivesProfile, checkUnpackedProfile } from './restore/check-profile.js'
import { metadataMismatch } from './restore/plan.js'
import { MAX_CHAIN_LINKS } from './chain/chain-format.js'
import { unpackAny } from './chain/unpack-chain.js'
import { removeScratch, verifyScratch } from './verify-scratch.js'

export interface VerifyReport {
  file: string
  size: number
  sha256: string
  sidecar: Sidecar | null
  /** 'integrity': the file is the one its sidecar describes. 'full': decrypted, every file and database checked. */
  level: 'integrity' | 'full'
  files?: number
  schemaVersion?: number
  createdAt?: string
  profileId?: string
  keyFingerprint?: string
  messages?: number
  accountSecrets?: number
  /** The earlier links of its chain that were checked too, full backup first (empty for a full backup). */
  chain?: string[]
}

/**
 * Check a backup. Without the key: the file exists, its size and SHA-256
 * match its sidecar, and its name agrees with its sidecar (it is intact, as
 * written). With the key, also everything a restore checks before it swaps
 * anything in: it decrypts, every file matches the manifest, every database
 * passes SQLite's integrity check, it gives a working profile (settings,
 * mailbox of a known schema), its account secrets entry is sound, and its
 * name and sidecar agree with what the encrypted contents say. Throws a
 * CairnError that says what is wrong.
 */
export async function verifyBackup(
  backup: string | BackupSource,
  keys?: BackupKey | readonly BackupKey[],
): Promise<VerifyReport> {
  const source = typeof backup === 'string' ? openBackupSource(backup) : backup
  try {
    return await verifySource(source, keys)
  } finally {
    if (typeof backup === 'string') await source.close()
  }
}

async function verifySource(
  source: BackupSource,
  keys?: BackupKey | readonly BackupKey[],
): Promise<VerifyReport> {
  const file = source.location
  // Both asked at once: on a remote destination each is a round trip.
  const sidecarRead = source.readSidecar()
  sidecarRead.catch(() => undefined)
  const { size } = await source.stat()
  const sidecar = await sidecarRead
  if (sidecar && sidecar.size !== size) {
    throw new CairnError(
      'BACKUP_CORRUPT',
      `This backup is ${size} bytes but was written as ${sidecar.size}: it is truncated or damaged.`,
    )
  }
  const checkHash = (sha256: string) => {
    if (sidecar && sidecar.sha256 !== sha256) {
      throw new CairnError(
        'BACKUP_CORRUPT',
        'This backup no longer matches the checksum it was written with: it is damaged.',
      )
    }
  }
  const candidates = keys === undefined ? [] : Array.isArray(keys) ? keys : [keys as BackupKey]
  if (candidates.length === 0) {
    const sha256 = await hashStream(await source.read())
    checkHash(sha256)
    if (sidecar) checkNameAgainstSidecar(source.name, sidecar)
    if (!sidecar) {
      throw new CairnError(
        'BACKUP_CORRUPT',
        'This backup has no readable sidecar (.json), so it cannot be checked without the key. Verify it with the key.',
      )
    }
    const chain = sidecar.kind === 'incremental' ? await verifyLinksWithoutKey(source, sidecar) : []
    return { file, size, sha256, sidecar, level: 'integrity', chain }
  }
  if (sidecar) checkNameAgainstSidecar(source.name, sidecar)
  const key = (await keyThatOpens(source, candidates)) ?? (candidates[0] as BackupKey)
  const scratch = verifyScratch()
  try {
    // One pass over the backup: hashed for the sidecar while it is decrypted and checked.
    const hash = createHash('sha256')
    // Databases and settings are written out (SQLite checks files); the rest is hashed in passing.
    let secretsBytes: Buffer | null = null
    const manifest = await unpackAny({
      source,
      key,
      targetDir: scratch,
      databaseCheck: 'full',
      sidecar,
      write: (f) => f.path === profileFiles.settings,
      onManifest: checkManifestGivesProfile,
      onSecrets: (bytes) => (secretsBytes = bytes),
      onEncrypted: (chunk) => hash.update(chunk),
      expectedFingerprint: sidecar?.keyFingerprint ?? null,
    })
    const sha256 = hash.digest('hex')
    checkHash(sha256)
    reachedStep('verify-unpacked')
    const unpacked = checkUnpackedProfile(scratch, manifest)
    const secrets = secretsBytes ? parseSecretsEntry(secretsBytes, manifest.profileId) : null
    if (secrets) checkSecretsAgainstAccounts(secrets, unpacked.accounts)
    const [mismatch] = metadataMismatch(source.name, sidecar, manifest, key)
    if (mismatch) throw new CairnError('BACKUP_MISMATCH', mismatch.message)
    return {
      file,
      size,
      sha256,
      sidecar,
      level: 'full',
      files: manifest.files.length - (secrets ? 1 : 0),
      schemaVersion: manifest.schemaVersion,
      createdAt: manifest.createdAt,
      profileId: manifest.profileId,
      keyFingerprint: key.fingerprint,
      messages: unpacked.messages,
      accountSecrets: secrets?.secrets.length ?? 0,
    }
  } finally {
    removeScratch(scratch)
  }
}

/** Without the key, the name and the sidecar can still be held against each other. */
function checkNameAgainstSidecar(name: string, sidecar: Sidecar): void {
  const named = parseBackupName(name)
  const described = new Date(sidecar.createdAt).getTime()
  // A file the user renamed to a name of their own is not checked; a Cairn name must agree.
  if (!named) return
  if (sidecar.file !== name || Math.floor(described / 1000) !== named.getTime() / 1000) {
    throw new CairnError(
      'BACKUP_MISMATCH',
      `This backup's sidecar describes ${sidecar.file}, made on ${sidecar.createdAt}, but the file is named ${name}: ` +
        'it was renamed or its sidecar edited after it was made. Verify it with the key to see what it holds.',
    )
  }
}

async function hashStream(stream: Readable): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of stream) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/**
 * Without the key, an incremental's chain can still be checked from the
 * sidecars: each parent is there, complete, of the same chain, profile and
 * key, one place earlier, with the SHA-256 its child recorded, and its bytes
 * still hash to it; down to a full backup. Returns the links, full first.
 */
async function verifyLinksWithoutKey(source: BackupSource, head: Sidecar): Promise<string[]> {
  const listing = await source.siblings()
  const links: string[] = []
  let child = head
  while (child.kind === 'incremental') {
    const index = (child.chainIndex ?? 1) - 1
    const what = `Link ${index} of this backup's chain (${child.parent ?? 'unnamed'})`
    const entry = listing.find((e) => e.name === child.parent)
    if (!entry || !entry.sidecar)
      throw chainBroken(
        `${what} is not in ${source.location.replace(/[^/\\]*$/, '')}: this backup needs it.`,
      )
    const parent = entry.sidecar
    const reasons: string[] = []
    if (!entry.complete) reasons.push('it is truncated or its sidecar does not describe it')
    if (parent.sha256 !== child.parentSha256)
      reasons.push('it is not the backup the next link was made on (replaced)')
    if (parent.chainId !== child.chainId) reasons.push('it belongs to another chain')
    if (parent.chainIndex !== index)
      reasons.push(`it is link ${parent.chainIndex ?? 0}, not ${index} (out of order)`)
    if (parent.profileId !== head.profileId) reasons.push('it is a backup of another profile')
    if (parent.keyFingerprint !== head.keyFingerprint) reasons.push('it was made with another key')
    if (index === 0 && parent.kind === 'incremental') reasons.push('it is not a full backup')
    if (reasons.length === 0) {
      const other = source.sibling(entry.name)
      if (!other) reasons.push('it cannot be read')
      else {
        try {
          if ((await hashStream(await other.read())) !== parent.sha256)
            reasons.push('its bytes no longer match its checksum (damaged)')
        } finally {
          await other.close()
        }
      }
    }
    if (reasons.length > 0) throw chainBroken(`${what} cannot be used: ${reasons.join('; ')}.`)
    links.unshift(entry.name)
    child = parent
    if (links.length > MAX_CHAIN_LINKS) throw chainBroken("This backup's chain loops.")
  }
  return links
}

function chainBroken(message: string): CairnError {
  return new CairnError('BACKUP_CHAIN_BROKEN', message)
}
