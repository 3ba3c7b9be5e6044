import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { z } from 'zod'
import { writeFileAtomicSync } from '../../shared/atomic-file.js'
import { backupTimeSchema } from '../archive/made-at.js'
import { sidecarChainShape } from '../chain/chain-format.js'
import { sidecarName } from './names.js'

// eslint-disable-next-line no-control-regex -- control characters are what is refused
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

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
    // As the manifest's: shown (cairn list, verify, the restore wizard) and compared (the
    // name's second, newer backups in a folder), so a real date exactly as Cairn writes it.
    createdAt: backupTimeSchema,
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
  // Cairn never writes a control character or a bidirectional override into a sidecar. One
  // planted in the backup folder would reach the terminal through cairn list and the restore
  // and verify messages (ESC[8m hides the rest of a line, where list says a backup is
  // incomplete or renamed): such a file is not a sidecar.
  .refine(
    (sidecar) =>
      Object.values(sidecar).every(
        (value) => typeof value !== 'string' || !UNPRINTABLE.test(value),
      ),
    'a sidecar holds no control characters',
  )

export type Sidecar = z.infer<typeof sidecarSchema>

/** Sidecars are a few hundred bytes; anything much larger is not one and is not read whole. */
export const SIDECAR_MAX_BYTES = 64 * 1024

export function readSidecar(path: string): Sidecar | null {
  const bytes = readSmallFile(path, SIDECAR_MAX_BYTES)
  if (!bytes) return null
  try {
    const parsed = sidecarSchema.safeParse(JSON.parse(bytes.toString('utf8')))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/**
 * A regular file of at most `limit` bytes, or null. The folder beside a
 * backup is writable by others (a shared drive, a synced folder): a fifo
 * there would make a plain open wait for a writer forever (O_NONBLOCK
 * returns at once), and a link to /dev/zero or an ever-growing file would
 * be read until memory ran out (only a regular file is read, and never
 * more than `limit` + 1 bytes).
 */
function readSmallFile(path: string, limit: number): Buffer | null {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch {
    return null
  }
  try {
    if (!fstatSync(fd).isFile()) return null
    const buffer = Buffer.alloc(limit + 1)
    let length = 0
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null)
      if (n === 0) break
      length += n
    }
    return length > limit ? null : buffer.subarray(0, length)
  } catch {
    return null
  } finally {
    closeSync(fd)
  }
}

/** The sidecar beside a backup file, or null when it is missing or unreadable. */
export function readSidecarOf(backupFile: string): Sidecar | null {
  return readSidecar(join(dirname(backupFile), sidecarName(basename(backupFile))))
}

export function writeSidecar(path: string, sidecar: Sidecar): void {
  writeFileAtomicSync(path, `${JSON.stringify(sidecar, null, 2)}\n`)
}
