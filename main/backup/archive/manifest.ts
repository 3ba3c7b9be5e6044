import { z } from 'zod'

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
export const ARCHIVE_FORMAT_VERSION = 1
/** A manifest larger than this is not Cairn's (one for a million files is ~150 MB; caps are generous). */
export const MAX_MANIFEST_BYTES = 256 * 1024 * 1024

const relativePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => isSafeRelativePath(p), 'not a safe relative path')

export const manifestSchema = z
  .object({
    format: z.literal('cairn-backup'),
    formatVersion: z.number().int().positive(),
    appVersion: z.string(),
    schemaVersion: z.number().int().nonnegative(),
    profileId: z.string(),
    createdAt: z.string(),
    /** The key the backup was encrypted to (absent in backups made before it was recorded). */
    keyFingerprint: z.string().optional(),
    files: z.array(
      z
        .object({
          path: relativePath,
          size: z.number().int().nonnegative(),
          sha256: z.string().regex(/^[0-9a-f]{64}$/),
        })
        .strict(),
    ),
  })
  .loose()

export type Manifest = z.infer<typeof manifestSchema>
export type ManifestFile = Manifest['files'][number]

/**
 * A path that stays inside the folder it is extracted into on every OS: no
 * absolute paths or drive letters, no "." or ".." segments, no backslashes
 * or characters Windows refuses, no empty segments.
 */
export function isSafeRelativePath(path: string): boolean {
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) return false
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\\\0<>:"|?*\u0001-\u001f]/.test(path)) return false
  return path
    .split('/')
    .every((segment) => segment.length > 0 && segment !== '.' && segment !== '..')
}
