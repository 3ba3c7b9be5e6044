import { createHash, randomBytes } from 'node:crypto'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * Attachments are stored once each, named by the SHA-256 of their bytes
 * (attachments/ab/abcdef…), however many messages carry them. A file is
 * written under a temporary name and renamed, so a crash never leaves a
 * half-written file under a real name.
 *
 * A file nothing refers to any more is removed by the sweeper
 * (attachment-sweep.ts), but only once it has not been taken up for a
 * while: storing bytes that are already there marks the file as just used,
 * so a file about to be referred to again is never swept in between.
 */
export function attachmentPath(attachmentsDir: string, sha256: string): string {
  if (!isAttachmentName(sha256)) throw new Error(`Not a SHA-256 name: ${sha256}`)
  return join(attachmentsDir, sha256.slice(0, 2), sha256)
}

/** A name the store gives a file: the SHA-256 of its bytes, in lower-case hex. */
export function isAttachmentName(name: string): boolean {
  return /^[0-9a-f]{64}$/.test(name)
}

/**
 * The first folder on the way to a stored file (the attachments folder,
 * then its two-letter sub-folder) that is there but is not a real folder,
 * such as a symbolic link someone planted; null when none is. Removing a
 * file through such a folder would remove a file outside the store that
 * merely has a store file's name.
 */
export function notARealStoreFolder(attachmentsDir: string, sha256: string): string | null {
  for (const folder of [attachmentsDir, dirname(attachmentPath(attachmentsDir, sha256))]) {
    // lstat: a link is reported as a link, not as the folder it points to.
    const stat = lstatSync(folder, { throwIfNoEntry: false })
    if (stat && !stat.isDirectory()) return folder
  }
  return null
}

export function storeAttachment(attachmentsDir: string, bytes: Uint8Array): string {
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  const path = attachmentPath(attachmentsDir, sha256)
  if (reuse(path)) return sha256
  // Private to the profile's owner, like every profile file (see profile/permissions.ts).
  mkdirSync(join(attachmentsDir, sha256.slice(0, 2)), { recursive: true, mode: 0o700 })
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    writeFileSync(tmp, bytes, { mode: 0o600 })
    renameSync(tmp, path)
  } catch (error) {
    rmSync(tmp, { force: true })
    throw error
  }
  return sha256
}

/**
 * Put a finished temporary file (an upload, a download) in the store as
 * `sha256`, or drop it when the store already has those bytes.
 */
export function adoptAttachmentFile(attachmentsDir: string, sha256: string, file: string): string {
  const path = attachmentPath(attachmentsDir, sha256)
  mkdirSync(join(attachmentsDir, sha256.slice(0, 2)), { recursive: true, mode: 0o700 })
  if (reuse(path)) rmSync(file, { force: true })
  else renameSync(file, path)
  return path
}

/** True when the file is there; it is then marked as just used (see above). */
function reuse(path: string): boolean {
  if (!existsSync(path)) return false
  const now = new Date()
  try {
    utimesSync(path, now, now)
  } catch {
    // Swept this very moment: store the bytes again.
    return existsSync(path)
  }
  return true
}

export function readAttachment(attachmentsDir: string, sha256: string): Buffer {
  return readFileSync(attachmentPath(attachmentsDir, sha256))
}
