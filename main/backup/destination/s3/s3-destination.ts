import { Agent } from 'node:https'
import type { Readable } from 'node:stream'
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3'
import type {
  BackupUpload,
  ByteRange,
  CleanupReport,
  CommittedBackup,
  DestinationTestReport,
  StartBackupOptions,
} from '../destination.js'
import { destinationError } from '../destination-errors.js'
import {
  activeWrites,
  FileStoreDestination,
  FOREIGN_STALE_MS,
  printable,
  type FileStore,
  type StoreEntry,
} from '../file-store.js'
import { backupName, hostTag, parseBackupName, partialName, sidecarName } from '../names.js'
import type { Sidecar } from '../sidecar.js'
import { sidecarBytes } from '../sidecar-io.js'
import { parseTempName, pendingSidecarOf } from '../temp-names.js'
import { uploadStream } from '../upload-stream.js'
import { ListingPages } from './listing-pages.js'
import { MultipartWriter, type LockSettings } from './multipart-writer.js'
import { s3RetryStrategy } from './retry-strategy.js'
import { s3Error } from './s3-errors.js'
import { typedBody } from './typed-body.js'
import { sdk } from './sdk.js'
import { processAlive } from '../../../shared/process-alive.js'
import { reachedStep } from '../../../shared/test-hooks.js'

export interface S3Settings {
  bucket: string
  /** Folder-like prefix inside the bucket ('' or ending in '/'). */
  prefix: string
  /** https://… of an S3-compatible service; absent: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, then AWS. */
  endpoint?: string | null
  region?: string | null
  /** Path-style addressing (bucket in the path): the default with a custom endpoint. */
  pathStyle?: boolean | null
  /** A profile of the shared AWS config/credentials files. */
  awsProfile?: string | null
  /** Static credentials (from the keychain); absent: the SDK's standard chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string } | null
  /** PEM of a certificate authority to trust for this endpoint (on top of the system's). */
  ca?: string | null
  objectLock?: LockSettings | null
  env?: NodeJS.ProcessEnv
  /** First multipart part size (bytes, ≥ 5 MiB). */
  partSize?: number
  concurrency?: number
  /**
   * How long a connection may sit idle (nothing sent or received) before
   * the request fails, and the longest a small request (a listing page, a
   * HEAD, a sidecar) may take in all.
   */
  requestTimeoutMs?: number
  maxAttempts?: number
}

const DEFAULT_PART = 8 << 20

/**
 * A server silent this long on an open request has stopped answering: an
 * 8 MiB part or a CompleteMultipartUpload is answered in seconds, and it
 * counts from the last byte either way, so a long upload is never cut.
 */
const S3_IDLE_TIMEOUT_MS = 60_000

/**
 * S3-compatible object storage (AWS, Backblaze B2, Cloudflare R2, Wasabi,
 * MinIO, Ceph RGW …). See MultipartWriter for how a backup is streamed; the
 * "temporary name" of a backup is its unfinished multipart upload, which no
 * listing shows, plus a small marker object
 * <name>.<pid>-<host tag>.partial.json written before the upload starts, so
 * that the next run can tell an upload abandoned by a crash (abort it) from
 * one still being written (leave it). The marker becomes the waiting sidecar
 * just before the upload completes.
 */
export class S3Destination extends FileStoreDestination {
  private readonly s3: S3Store

  constructor(settings: S3Settings) {
    const store = new S3Store(settings)
    super(store)
    this.s3 = store
  }

  override async test(): Promise<DestinationTestReport> {
    const report = await super.test()
    try {
      const lock = await this.s3.client.send(
        new sdk.GetObjectLockConfigurationCommand({ Bucket: this.s3.bucket }),
      )
      report.details.objectLock = lock.ObjectLockConfiguration?.ObjectLockEnabled ?? 'off'
    } catch {
      report.details.objectLock = 'off'
    }
    if (this.s3.lock && report.details.objectLock !== 'Enabled') {
      throw destinationError(
        'DESTINATION_INVALID',
        this.label,
        'Object Lock retention is asked for, but the bucket does not have Object Lock enabled. Create a bucket with Object Lock, or remove the retention setting.',
      )
    }
    return report
  }

  override async startBackup(
    createdAt: Date,
    options: StartBackupOptions = {},
  ): Promise<BackupUpload> {
    const s3 = this.s3
    const existing = new Set((await s3.list()).map((e) => e.name))
    let name: string | null = null
    for (let sequence = 0; sequence < 10_000 && !name; sequence++) {
      const candidate = backupName(createdAt, sequence)
      // Taken: a backup, its sidecar, or another writer's upload marker under that name.
      const claimed = [...existing].some(
        (entry) => entry.startsWith(`${candidate}.`) && entry.endsWith('.partial.json'),
      )
      if (!existing.has(candidate) && !existing.has(sidecarName(candidate)) && !claimed)
        name = candidate
    }
    if (!name) {
      throw destinationError(
        'DESTINATION_CONFLICT',
        this.label,
        `no free backup name is left for ${createdAt.toISOString()}.`,
      )
    }
    const finalName = name
    // One temporary name per upload (it carries a random part): the marker and the live-writer record use it.
    const temp = partialName(finalName)
    const marker = pendingSidecarOf(temp)
    // The marker exists before the upload does (cleanup() lists uploads before markers).
    await s3.writeSmall(
      marker,
      Buffer.from(JSON.stringify({ format: 'cairn-upload', startedAt: new Date().toISOString() })),
    )
    activeWrites.add(this.label, temp)
    const writer = new MultipartWriter({
      client: s3.client,
      bucket: s3.bucket,
      key: s3.key(finalName),
      label: this.label,
      lock: s3.lock,
      partSize: s3.partSize,
      concurrency: s3.concurrency,
    })
    const upload = uploadStream(writer.stream, options)
    let finished = false

    const abort = async () => {
      if (finished) return
      finished = true
      upload.stream.destroy()
      await upload.done.catch(() => undefined)
      try {
        await writer.abort()
        await s3.remove(marker)
      } catch {
        // Unreachable now: the next cleanup() aborts the upload and removes the marker.
      } finally {
        activeWrites.delete(this.label, temp)
      }
    }

    const commit = async (described: Sidecar): Promise<CommittedBackup> => {
      if (finished) throw new Error('this upload was already committed or aborted')
      try {
        await upload.done
        if (described.size !== upload.bytes()) {
          throw destinationError(
            'DESTINATION_SERVER',
            this.label,
            `the backup is ${upload.bytes()} bytes, not the ${described.size} described.`,
          )
        }
        await s3.writeSmall(marker, sidecarBytes({ ...described, file: '' }))
        await writer.finish()
        finished = true
        reachedStep('backup-claimed')
        const stored = await s3.stat(finalName)
        if (!stored || stored.size !== upload.bytes()) {
          throw destinationError(
            'DESTINATION_SERVER',
            this.label,
            `the server holds ${stored?.size ?? 'no'} bytes of the ${upload.bytes()} sent under ${finalName}. Verify this backup before relying on it.`,
          )
        }
        await s3.writeSmall(sidecarName(finalName), sidecarBytes({ ...described, file: finalName }))
        await s3.remove(marker)
        return { name: finalName, size: upload.bytes() }
      } catch (error) {
        if (!finished) await abort()
        throw error
      } finally {
        activeWrites.delete(this.label, temp)
      }
    }
    return { stream: upload.stream, commit, abort }
  }

  /**
   * Abort multipart uploads of Cairn backup names that no live writer owns,
   * then remove stale markers (completing a backup whose sidecar waited in
   * its marker). Uploads are listed before markers, so an upload started
   * meanwhile already has its marker in the second listing.
   */
  override async cleanup(options: { now?: number } = {}): Promise<CleanupReport> {
    const now = options.now ?? Date.now()
    const uploads = await this.s3.listUploads()
    const entries = await this.s3.list()
    const live = new Set<string>()
    for (const entry of entries) {
      const temp = parseTempName(entry.name)
      if (temp?.kind !== 'pending-sidecar') continue
      const mine = temp.host === hostTag()
      const alive = mine
        ? temp.pid === process.pid
          ? activeWrites.has(this.label, temp.partial)
          : processAlive(temp.pid)
        : entry.modifiedAt !== null && now - entry.modifiedAt.getTime() <= FOREIGN_STALE_MS
      if (alive) live.add(temp.backup)
    }
    const aborted: string[] = []
    for (const upload of uploads) {
      if (live.has(upload.name)) continue
      try {
        await this.s3.client.send(
          new sdk.AbortMultipartUploadCommand({
            Bucket: this.s3.bucket,
            Key: upload.key,
            UploadId: upload.uploadId,
          }),
        )
        aborted.push(`${upload.name} (unfinished upload)`)
      } catch (error) {
        throw s3Error(this.label, error, 'abort an unfinished upload')
      }
    }
    const report = await super.cleanup(options)
    return { removed: [...aborted, ...report.removed], completed: report.completed }
  }
}

class S3Store implements FileStore {
  readonly kind = 's3' as const
  readonly label: string
  readonly client: S3Client
  readonly bucket: string
  readonly prefix: string
  readonly lock: LockSettings | null
  readonly partSize: number
  readonly concurrency: number
  private readonly requestTimeoutMs: number

  constructor(settings: S3Settings) {
    const env = settings.env ?? process.env
    this.bucket = settings.bucket
    this.prefix = settings.prefix
    this.label = `s3://${settings.bucket}/${settings.prefix}`
    this.lock = settings.objectLock ?? null
    this.partSize = Math.max(5 << 20, settings.partSize ?? DEFAULT_PART)
    this.concurrency = settings.concurrency ?? 4
    this.requestTimeoutMs = settings.requestTimeoutMs ?? 120_000
    const idleMs = settings.requestTimeoutMs ?? S3_IDLE_TIMEOUT_MS
    const endpoint =
      settings.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? undefined
    const config: S3ClientConfig = {
      region: settings.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
      forcePathStyle: settings.pathStyle ?? Boolean(endpoint),
      retryStrategy: s3RetryStrategy(settings.maxAttempts ?? 5),
      // Checksums are computed per part by MultipartWriter; the SDK adds its own only where required.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_SUPPORTED',
      requestHandler: {
        connectionTimeout: 15_000,
        // socketTimeout, not requestTimeout: since @smithy/node-http-handler 4 requestTimeout is a
        // whole-request timer that only logs a warning, and nothing ended a request (an UploadPart,
        // a CompleteMultipartUpload, a GetObject mid-body) the server had stopped answering.
        socketTimeout: idleMs,
        ...(settings.ca ? { httpsAgent: new Agent({ ca: settings.ca, keepAlive: true }) } : {}),
      },
      ...(endpoint ? { endpoint } : {}),
      ...(settings.awsProfile ? { profile: settings.awsProfile } : {}),
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
    }
    this.client = new sdk.S3Client(config)
  }

  /** Small requests give up after the timeout: a server that stops answering is reported, not waited for. */
  private timeout() {
    return { abortSignal: AbortSignal.timeout(this.requestTimeoutMs) }
  }

  key(name: string): string {
    return `${this.prefix}${name}`
  }

  async list(): Promise<StoreEntry[]> {
    const entries: StoreEntry[] = []
    const pages = new ListingPages(this.label, 'the bucket')
    let token: string | undefined
    for (;;) {
      let page
      try {
        page = await this.client.send(
          new sdk.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix,
            Delimiter: '/',
            ContinuationToken: token,
          }),
          this.timeout(),
        )
      } catch (error) {
        throw s3Error(this.label, error, 'list the bucket')
      }
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? ''
        if (!key.startsWith(this.prefix)) continue
        const name = key.slice(this.prefix.length)
        if (!name || name.includes('/')) continue
        entries.push({
          name,
          size: object.Size ?? 0,
          isFile: true,
          modifiedAt: object.LastModified ?? null,
        })
      }
      const keys = (page.Contents?.length ?? 0) + (page.CommonPrefixes?.length ?? 0)
      if (!pages.more(keys, page.IsTruncated, page.NextContinuationToken)) break
      token = page.NextContinuationToken
    }
    return entries
  }

  async listUploads(): Promise<{ key: string; name: string; uploadId: string }[]> {
    const uploads: { key: string; name: string; uploadId: string }[] = []
    const pages = new ListingPages(this.label, 'unfinished uploads')
    let keyMarker: string | undefined
    let uploadIdMarker: string | undefined
    for (;;) {
      let page
      try {
        page = await this.client.send(
          new sdk.ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: this.prefix,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
          this.timeout(),
        )
      } catch (error) {
        throw s3Error(this.label, error, 'list unfinished uploads')
      }
      for (const upload of page.Uploads ?? []) {
        const key = upload.Key ?? ''
        const name = key.slice(this.prefix.length)
        // Only Cairn's own backup names: others' uploads in the bucket are not ours to abort.
        if (key.startsWith(this.prefix) && parseBackupName(name) && upload.UploadId)
          uploads.push({ key, name, uploadId: upload.UploadId })
      }
      // Both markers together say where the next page starts (one key may have several uploads).
      const next = page.NextKeyMarker
        ? JSON.stringify([page.NextKeyMarker, page.NextUploadIdMarker ?? ''])
        : undefined
      if (!pages.more(page.Uploads?.length ?? 0, page.IsTruncated, next)) break
      keyMarker = page.NextKeyMarker
      uploadIdMarker = page.NextUploadIdMarker
    }
    return uploads
  }

  async stat(name: string): Promise<StoreEntry | null> {
    try {
      const head = await this.client.send(
        new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.key(this.check(name)) }),
        this.timeout(),
      )
      return {
        name,
        size: head.ContentLength ?? 0,
        isFile: true,
        modifiedAt: head.LastModified ?? null,
      }
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata
        ?.httpStatusCode
      if (status === 404) return null
      throw s3Error(this.label, error, 'read a backup')
    }
  }

  create(): Promise<'taken'> {
    throw new Error('S3 backups are written through S3Destination.startBackup')
  }

  claim(): Promise<'taken'> {
    throw new Error('S3 backups are committed by completing their upload')
  }

  async writeSmall(name: string, data: Buffer): Promise<void> {
    const isSidecar =
      parseBackupName(name.replace(/\.json$/, '')) !== null && name.endsWith('.json')
    try {
      await this.client.send(
        new sdk.PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key(this.check(name)),
          Body: data,
          ContentType: 'application/json',
          ...(this.lock && isSidecar
            ? {
                ObjectLockMode: this.lock.mode,
                ObjectLockRetainUntilDate: new Date(Date.now() + this.lock.days * 86_400_000),
                ChecksumAlgorithm: 'SHA256' as const,
              }
            : {}),
        }),
        this.timeout(),
      )
    } catch (error) {
      throw s3Error(this.label, error, 'write')
    }
  }

  async readSmall(name: string, limit: number): Promise<Buffer | null> {
    try {
      const got = await this.client.send(
        new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.key(this.check(name)) }),
        this.timeout(),
      )
      const body = got.Body as Readable | undefined
      if ((got.ContentLength ?? 0) > limit) {
        body?.destroy()
        return null
      }
      if (!body) return Buffer.alloc(0)
      // Counted as it arrives: a body without a Content-Length (chunked, from a server that is
      // not S3 or something in front of it) could otherwise go on until memory or the timeout ran out.
      const parts: Buffer[] = []
      let size = 0
      for await (const part of body) {
        size += (part as Buffer).length
        if (size > limit) {
          body.destroy()
          return null
        }
        parts.push(part as Buffer)
      }
      return Buffer.concat(parts)
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata
        ?.httpStatusCode
      if (status === 404 || (error as { name?: string }).name === 'NoSuchKey') return null
      throw s3Error(this.label, error, 'read')
    }
  }

  async read(name: string, range?: ByteRange): Promise<Readable> {
    try {
      const got = await this.client.send(
        new sdk.GetObjectCommand({
          Bucket: this.bucket,
          Key: this.key(this.check(name)),
          ...(range ? { Range: `bytes=${range.start}-${range.end ?? ''}` } : {}),
        }),
      )
      return typedBody(got.Body as Readable, (error) => s3Error(this.label, error, 'read a backup'))
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata
        ?.httpStatusCode
      if (status === 404 || (error as { name?: string }).name === 'NoSuchKey')
        throw destinationError(
          'DESTINATION_MISSING',
          this.label,
          `there is no backup ${printable(name)}.`,
          error,
        )
      throw s3Error(this.label, error, 'read a backup')
    }
  }

  async remove(name: string): Promise<void> {
    try {
      await this.client.send(
        new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(this.check(name)) }),
        this.timeout(),
      )
    } catch (error) {
      throw s3Error(this.label, error, 'delete')
    }
  }

  async probe(): Promise<Record<string, string>> {
    await this.list()
    return { bucket: this.bucket, prefix: this.prefix || '(none)' }
  }

  async close(): Promise<void> {
    this.client.destroy()
  }

  private check(name: string): string {
    // eslint-disable-next-line no-control-regex -- control characters are what is refused
    if (!name || name.includes('/') || /[\0-\x1f]/.test(name))
      throw destinationError(
        'DESTINATION_INVALID',
        this.label,
        `refusing the name "${printable(name)}".`,
      )
    return name
  }
}
