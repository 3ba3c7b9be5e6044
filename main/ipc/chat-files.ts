import { randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs'
import { copyFile, readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { CairnError, errnoCode } from '../shared/errors.js'

/** The largest file the browser build may hand over in chunks (HTTP upload servers cap lower). */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024
/** Bytes per chunk the renderer sends (base64 of it must fit the WebSocket's 1 MB frames). */
export const UPLOAD_CHUNK_BYTES = 512 * 1024
/** How many attachments keep a working address at once (older ones get a new one when shown again). */
const VIEW_LIMIT = 10_000
/** Files handed over but not sent are dropped after this long. */
const STAGED_TTL_MS = 60 * 60 * 1000
const MAX_STAGED = 16

/** A downloaded attachment's copy in the profile. */
export interface StoredAttachment {
  path: string
  filename: string
  size: number
}

/** What the UI request handler serves for `/chat/file/<view>`. */
export interface ServedChatFile {
  bytes: Buffer
  filename: string
  /** The image type its bytes show, or null when it is not a picture the view shows inline. */
  imageType: string | null
}

/** Files larger than this are not served to the page (a broken image, not a memory spike). */
export const SERVED_FILE_MAX_BYTES = 100 * 1024 * 1024

/** A file the user chose to send: picked in the app's dialog, or handed over by the browser build. */
export interface ChosenFile {
  fileId: string
  name: string
  size: number
}

interface Staged extends ChosenFile {
  path: string
  /** Ours to delete once sent (a copy in the profile's cache), or the user's own file (picked). */
  temporary: boolean
  /** Bytes received so far (chunked hand-over). */
  received: number
  createdAt: number
}

/** Image types the chat view shows inline, recognised by their first bytes, never by a name. */
const IMAGE_SIGNATURES: { type: string; test: (b: Buffer) => boolean }[] = [
  {
    type: 'image/png',
    test: (b) => b.subarray(0, 8).equals(Buffer.from('89504e470d0a1a0a', 'hex')),
  },
  { type: 'image/jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/gif', test: (b) => /^GIF8[79]a/.test(b.subarray(0, 6).toString('latin1')) },
  {
    type: 'image/webp',
    test: (b) =>
      b.subarray(0, 4).toString('latin1') === 'RIFF' &&
      b.subarray(8, 12).toString('latin1') === 'WEBP',
  },
]

/** The image type of a file's first bytes, or null when it is not one the view shows. */
export function sniffImageType(head: Buffer): string | null {
  return IMAGE_SIGNATURES.find((s) => s.test(head))?.type ?? null
}

/**
 * The chat view's files, by capability:
 * - files the user chose to send, named by a random id: the renderer never
 *   names a path on disk, so a compromised page cannot send any file of the
 *   user's to a contact, only one the user picked (app) or handed over
 *   itself (browser build, in chunks into the profile's cache);
 * - downloaded attachments, served by the UI request handler under a
 *   random address minted when the view shows them (`/chat/file/<view>`),
 *   like mail inline images, so no other page on the machine can read
 *   them by guessing numbers.
 */
export class ChatFiles {
  private readonly staged = new Map<string, Staged>()
  /** view id → attachment id, oldest first. */
  private readonly views = new Map<string, number>()
  private readonly viewOf = new Map<number, string>()

  constructor(
    private readonly cacheDir: string,
    /** The stored copy of an attachment (null until it is downloaded). */
    private readonly stored: (attachmentId: number) => StoredAttachment | null,
  ) {}

  private get uploadDir(): string {
    return join(this.cacheDir, 'chat-uploads')
  }

  /** Files the host's own picker returned: the user chose them, so they may be sent. */
  addPicked(paths: string[]): ChosenFile[] {
    this.expire()
    return paths.map((path) => {
      let size: number
      try {
        const stat = statSync(path)
        if (!stat.isFile()) throw new Error('not a file')
        size = stat.size
      } catch (error) {
        throw new CairnError(
          'INVALID_ARGUMENT',
          `${basename(path)} cannot be read (${errnoCode(error) ?? (error as Error).message}).`,
        )
      }
      return this.remember({ path, name: basename(path), size, temporary: false, complete: true })
    })
  }

  /** Start receiving a file from the renderer in chunks (the browser build's file input). */
  begin(name: string, size: number): ChosenFile {
    this.expire()
    if (size > MAX_UPLOAD_BYTES)
      throw new CairnError(
        'INVALID_ARGUMENT',
        `${name.slice(0, 200)} is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB; Cairn does not send files that large.`,
      )
    if (this.staged.size >= MAX_STAGED)
      throw new CairnError(
        'CHAT_UPLOAD_FAILED',
        'Too many files are waiting to be sent; send or cancel some first.',
      )
    mkdirSync(this.uploadDir, { recursive: true, mode: 0o700 })
    const path = join(this.uploadDir, randomBytes(16).toString('hex'))
    closeSync(openSync(path, 'wx', 0o600))
    return this.remember({ path, name, size, temporary: true, complete: size === 0 })
  }

  /** One chunk, in order: `offset` must be where the previous one ended. */
  chunk(fileId: string, offset: number, bytes: Buffer): { received: number } {
    const file = this.staged.get(fileId)
    if (!file || !file.temporary)
      throw new CairnError(
        'NOT_FOUND',
        'This file is no longer waiting to be sent; choose it again.',
      )
    if (offset !== file.received || offset + bytes.length > file.size)
      throw new CairnError('INVALID_ARGUMENT', 'The file arrived out of order; choose it again.')
    const fd = openSync(file.path, 'r+')
    try {
      writeSync(fd, bytes, 0, bytes.length, offset)
    } catch (error) {
      throw new CairnError(
        errnoCode(error) === 'ENOSPC' ? 'DISK_FULL' : 'CHAT_UPLOAD_FAILED',
        `The file could not be kept for sending (${errnoCode(error) ?? 'error'}).`,
      )
    } finally {
      closeSync(fd)
    }
    file.received += bytes.length
    return { received: file.received }
  }

  /** A complete chosen file, taken for sending (it can be sent once). */
  take(fileId: string): { path: string; name: string; done: () => void } {
    const file = this.staged.get(fileId)
    if (!file)
      throw new CairnError(
        'NOT_FOUND',
        'This file is no longer waiting to be sent; choose it again.',
      )
    if (file.received !== file.size)
      throw new CairnError('INVALID_ARGUMENT', 'The file has not fully arrived yet.')
    this.staged.delete(fileId)
    return {
      path: file.path,
      name: file.name,
      done: () => {
        if (file.temporary) rmSync(file.path, { force: true })
      },
    }
  }

  cancel(fileId: string): void {
    const file = this.staged.get(fileId)
    if (!file) return
    this.staged.delete(fileId)
    if (file.temporary) rmSync(file.path, { force: true })
  }

  /** The address the view shows attachment `attachmentId` under (the same one while it is remembered). */
  viewUrl(attachmentId: number): string {
    let view = this.viewOf.get(attachmentId)
    if (!view) {
      view = randomBytes(16).toString('base64url')
      this.views.set(view, attachmentId)
      this.viewOf.set(attachmentId, view)
      for (const [oldest, id] of this.views) {
        if (this.views.size <= VIEW_LIMIT) break
        this.views.delete(oldest)
        this.viewOf.delete(id)
      }
    }
    return `/chat/file/${view}`
  }

  /** The attachment a view id names, or null. */
  attachmentOf(view: string): number | null {
    return /^[A-Za-z0-9_-]{22}$/.test(view) ? (this.views.get(view) ?? null) : null
  }

  /** The file behind a view address, read for the request handler; null when unknown or gone. */
  async served(view: string): Promise<ServedChatFile | null> {
    const attachmentId = this.attachmentOf(view)
    if (attachmentId === null) return null
    const file = this.stored(attachmentId)
    if (!file || file.size > SERVED_FILE_MAX_BYTES) return null
    let bytes: Buffer
    try {
      bytes = await readFile(file.path)
    } catch {
      return null
    }
    return { bytes, filename: file.filename, imageType: sniffImageType(bytes.subarray(0, 16)) }
  }

  /** Copy a received file to where the user chose to save it. */
  async copyOut(source: string, target: string): Promise<void> {
    try {
      await copyFile(source, target)
    } catch (error) {
      throw new CairnError(
        errnoCode(error) === 'ENOSPC' ? 'DISK_FULL' : 'INVALID_ARGUMENT',
        `The file could not be saved to ${target} (${errnoCode(error) ?? (error as Error).message}).`,
      )
    }
  }

  /** Forget the addresses handed out: after a restore, an attachment id names another file. */
  forgetViews(): void {
    this.views.clear()
    this.viewOf.clear()
  }

  /** Forget every staged file and delete the copies in the cache. */
  close(): void {
    for (const id of [...this.staged.keys()]) this.cancel(id)
    rmSync(this.uploadDir, { recursive: true, force: true })
  }

  private remember(file: {
    path: string
    name: string
    size: number
    temporary: boolean
    complete: boolean
  }): ChosenFile {
    const fileId = randomBytes(16).toString('base64url')
    this.staged.set(fileId, {
      fileId,
      path: file.path,
      name: file.name,
      size: file.size,
      temporary: file.temporary,
      received: file.complete ? file.size : 0,
      createdAt: Date.now(),
    })
    return { fileId, name: file.name, size: file.size }
  }

  private expire(): void {
    const now = Date.now()
    for (const [id, file] of this.staged) if (now - file.createdAt > STAGED_TTL_MS) this.cancel(id)
  }
}

/** The first bytes of a file (to recognise an image), or an empty buffer when it cannot be read. */
export function readHead(path: string, length = 16): Buffer {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    return Buffer.alloc(0)
  }
  try {
    const head = Buffer.alloc(length)
    const read = readSync(fd, head, 0, length, 0)
    return head.subarray(0, read)
  } finally {
    closeSync(fd)
  }
}
