import { z } from 'zod'
import { manifestChainSchema } from '../chain/chain-format.js'
import { backupTimeSchema } from './made-at.js'
import { isSafeRelativePath } from './safe-path.js'

export { isSafeRelativePath } from './safe-path.js'

/** The first entry of every backup archive; it describes all the others. */
export const MANIFEST_NAME = 'cairn-manifest.json'
/**
 * The account passwords and tokens (from the OS keychain), when a backup
 * carries any: an archive entry listed in the manifest like a file, but
 * never a profile file. Cairn reads it into memory only; it is never written
 * to disk on backup, restore or verify.
 */
export const SECRETS_NAME = 'cairn-secrets.json'

/** Top-level archive names that are not profile files. */
export function isReservedArchiveName(name: string): boolean {
  return name === MANIFEST_NAME || name === SECRETS_NAME
}
/**
 * Whether a profile file is one of its SQLite databases: snapshotted, integrity-checked on
 * restore, and the only kind of file an incremental link carries blocks of.
 */
export const isDatabase = (path: string): boolean => path.endsWith('.sqlite')

export const ARCHIVE_FORMAT_VERSION = 1
/** A manifest larger than this is not Cairn's (one for a million files is ~150 MB; caps are generous). */
export const MAX_MANIFEST_BYTES = 256 * 1024 * 1024

/** The longest file name (one path segment) that common filesystems take (ext4, APFS, NTFS…). */
const MAX_NAME_BYTES = 255

const relativePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => isSafeRelativePath(p), 'not a safe relative path')
  // Refused here, before anything is written: else the restore failed half-way with the
  // filesystem's ENAMETOOLONG, said as "choose a shorter --profile path", which cannot help.
  .refine(
    (p) => p.split('/').every((name) => Buffer.byteLength(name) <= MAX_NAME_BYTES),
    `a name longer than ${MAX_NAME_BYTES} bytes, which no filesystem takes`,
  )

/**
 * No listed path is also the folder of another ("a" and "a/b"): such a
 * profile cannot be written, and the restore failed half-way with an EEXIST
 * that blamed the profile's folder, while verify (which writes only the
 * databases and settings) passed the backup. Compared without case, as
 * duplicates are (case-insensitive filesystems).
 */
function noFileIsAFolder(files: readonly { path: string }[], context: z.RefinementCtx): void {
  const paths = new Set(files.map((f) => f.path.toLowerCase()))
  for (const file of files) {
    const names = file.path.split('/')
    for (let end = 1; end < names.length; end++) {
      const folder = names.slice(0, end).join('/')
      if (!paths.has(folder.toLowerCase())) continue
      context.addIssue({
        code: 'custom',
        message: `it lists "${folder}" both as a file and as a folder`,
      })
      return
    }
  }
}

export const manifestSchema = z
  .object({
    format: z.literal('cairn-backup'),
    formatVersion: z.number().int().positive(),
    appVersion: z.string(),
    schemaVersion: z.number().int().nonnegative(),
    profileId: z.string(),
    createdAt: backupTimeSchema,
    /** The key the backup was encrypted to (absent in backups made before it was recorded). */
    keyFingerprint: z.string().optional(),
    files: z
      .array(
        z
          .object({
            path: relativePath,
            size: z.number().int().nonnegative(),
            sha256: z.string().regex(/^[0-9a-f]{64}$/),
            /**
             * In a chain's incremental link: the index of the link whose archive
             * holds this file whole (absent: this archive). See chain-format.ts.
             */
            link: z.number().int().nonnegative().optional(),
          })
          .strict(),
      )
      .superRefine(noFileIsAFolder),
    /** Absent in backups made before chains; see chain-format.ts. */
    chain: manifestChainSchema.optional(),
  })
  .loose()

export type Manifest = z.infer<typeof manifestSchema>
export type ManifestFile = Manifest['files'][number]
