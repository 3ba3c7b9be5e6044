import { createHash, randomBytes } from 'node:crypto'
import { closeSync, fstatSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { CairnError } from '../../shared/errors.js'
import { adoptAttachmentFile } from '../attachment-store.js'
import { MAX_ATTACHMENT_BYTES } from '../send/compose.js'

export interface StoredUpload {
  sha256: string
  size: number
  filename: string
  mimeType: string
}

interface Pending {
  file: string
  fd: number
  received: number
  size: number
  filename: string
  mimeType: string
  /** When a chunk last arrived (or the upload began). */
  touchedAt: number
}

const UPLOAD_ID = /^[A-Za-z0-9_-]{22}$/

/** Bytes per chunk the renderer may send (the WebSocket bridge takes messages of 1 MiB). */
export const UPLOAD_CHUNK_BYTES = 512 * 1024

/**
 * Uploads under way at once. The composer sends files one after another;
 * each pending upload holds an open file and up to MAX_ATTACHMENT_BYTES of
 * the cache, so without a bound a renderer (a compromised one, or one that
 * reloads mid-upload again and again) could exhaust the main process's file
 * descriptors or the disk.
 */
export const MAX_PENDING_UPLOADS = 16
/** An upload no chunk has reached for this long was abandoned (its renderer went away). */
const IDLE_UPLOAD_MS = 60 * 60 * 1000

/**
 * Files the user attaches, received in chunks from the renderer (a file
 * picked or dropped in the browser build or the app: the renderer has its
 * bytes, never a path). Each upload is written, in order, to a private file
 * under the profile's cache (not backed up), then hashed and moved into the
 * attachment store, named by its SHA-256 like every attachment. Sizes are
 * declared first and enforced: nothing beyond the declared size is written.
 */
export class Uploads {
  private readonly pending = new Map<string, Pending>()

  constructor(
    private readonly dir: string,
    private readonly attachmentsDir: string,
  ) {}

  begin(file: { filename: string; mimeType: string; size: number }): { uploadId: string } {
    if (file.size > MAX_ATTACHMENT_BYTES)
      throw new CairnError(
        'ATTACHMENT_TOO_LARGE',
        `"${file.filename}" is ${Math.ceil(file.size / 1048576)} MB; a message can carry ${MAX_ATTACHMENT_BYTES / 1048576} MB of attachments at most.`,
      )
    this.dropIdle()
    if (this.pending.size >= MAX_PENDING_UPLOADS)
      throw new CairnError(
        'UPLOAD_INVALID',
        'Too many files are being attached at once; wait for them to finish, then attach the rest.',
      )
    mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    const uploadId = randomBytes(16).toString('base64url')
    const path = join(this.dir, `${uploadId}.part`)
    // wx+: created here (never an existing file), and read back to be hashed.
    const fd = openSync(path, 'wx+', 0o600)
    this.pending.set(uploadId, {
      file: path,
      fd,
      received: 0,
      size: file.size,
      filename: file.filename,
      mimeType: file.mimeType,
      touchedAt: Date.now(),
    })
    return { uploadId }
  }

  chunk(uploadId: string, offset: number, data: Buffer): { received: number } {
    const upload = this.get(uploadId)
    if (offset !== upload.received)
      throw new CairnError(
        'UPLOAD_INVALID',
        `The upload continued at byte ${offset} instead of ${upload.received}; attach the file again.`,
      )
    if (upload.received + data.byteLength > upload.size) {
      this.cancel(uploadId)
      throw new CairnError('UPLOAD_INVALID', 'The file is larger than it said; attach it again.')
    }
    writeSync(upload.fd, data, 0, data.byteLength, offset)
    upload.received += data.byteLength
    upload.touchedAt = Date.now()
    return { received: upload.received }
  }

  /** Hash the finished file and move it into the attachment store. */
  finish(uploadId: string): StoredUpload {
    const upload = this.get(uploadId)
    this.pending.delete(uploadId)
    try {
      if (upload.received !== upload.size || fstatSync(upload.fd).size !== upload.size)
        throw new CairnError(
          'UPLOAD_INVALID',
          `Only ${upload.received} of ${upload.size} bytes arrived; attach the file again.`,
        )
      const hash = createHash('sha256')
      const buffer = Buffer.alloc(1024 * 1024)
      for (let position = 0; position < upload.size;) {
        const read = readSync(upload.fd, buffer, 0, buffer.length, position)
        if (read === 0) break
        hash.update(buffer.subarray(0, read))
        position += read
      }
      closeSync(upload.fd)
      const sha256 = hash.digest('hex')
      adoptAttachmentFile(this.attachmentsDir, sha256, upload.file)
      return { sha256, size: upload.size, filename: upload.filename, mimeType: upload.mimeType }
    } catch (error) {
      try {
        closeSync(upload.fd)
      } catch {
        // already closed
      }
      rmSync(upload.file, { force: true })
      throw error
    }
  }

  cancel(uploadId: string): void {
    const upload = this.pending.get(uploadId)
    if (!upload) return
    this.pending.delete(uploadId)
    closeSync(upload.fd)
    rmSync(upload.file, { force: true })
  }

  /** Drop every unfinished upload (closing the profile). */
  close(): void {
    for (const id of [...this.pending.keys()]) this.cancel(id)
  }

  private dropIdle(): void {
    const now = Date.now()
    for (const [id, upload] of this.pending)
      if (now - upload.touchedAt > IDLE_UPLOAD_MS) this.cancel(id)
  }

  private get(uploadId: string): Pending {
    const upload = UPLOAD_ID.test(uploadId) ? this.pending.get(uploadId) : undefined
    if (!upload)
      throw new CairnError(
        'UPLOAD_INVALID',
        'That upload is unknown or finished; attach the file again.',
      )
    return upload
  }
}
