import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Attachments are stored once each, named by the SHA-256 of their bytes
 * (attachments/ab/abcdef…), however many messages carry them. A file is
 * written under a temporary name and renamed, so a crash never leaves a
 * half-written file under a real name.
 */
export function attachmentPath(attachmentsDir: string, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`Not a SHA-256 name: ${sha256}`)
  return join(attachmentsDir, sha256.slice(0, 2), sha256)
}

export function storeAttachment(attachmentsDir: string, bytes: Uint8Array): string {
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  const path = attachmentPath(attachmentsDir, sha256)
  if (existsSync(path)) return sha256
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

export function readAttachment(attachmentsDir: string, sha256: string): Buffer {
  return readFileSync(attachmentPath(attachmentsDir, sha256))
}
