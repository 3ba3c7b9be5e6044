import { readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { z } from 'zod'
import { writeFileAtomicSync } from '../../shared/atomic-file.js'
import { sidecarChainShape } from '../chain/chain-format.js'
import { sidecarName } from './names.js'

/**
 * The plaintext description written beside each backup. It lets Cairn list
 * backups and check their integrity without the key; it holds nothing
 * secret (the key fingerprint identifies the key, it does not reveal it).
 */
export const sidecarSchema = z
  .object({
    format: z.literal('cairn-backup-sidecar'),
    formatVersion: z.literal(1),
    file: z.string(),
    createdAt: z.string(),
    appVersion: z.string(),
    schemaVersion: z.number().int().nonnegative(),
    profileId: z.string(),
    size: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    keyFingerprint: z.string(),
    recipient: z.string(),
    vaultId: z.string().nullable(),
    // Chains (issue 14): absent in sidecars written before them, which are full backups.
    ...sidecarChainShape,
  })
  .loose()

export type Sidecar = z.infer<typeof sidecarSchema>

export function readSidecar(path: string): Sidecar | null {
  try {
    const parsed = sidecarSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/** The sidecar beside a backup file, or null when it is missing or unreadable. */
export function readSidecarOf(backupFile: string): Sidecar | null {
  return readSidecar(join(dirname(backupFile), sidecarName(basename(backupFile))))
}

export function writeSidecar(path: string, sidecar: Sidecar): void {
  writeFileAtomicSync(path, `${JSON.stringify(sidecar, null, 2)}\n`)
}
