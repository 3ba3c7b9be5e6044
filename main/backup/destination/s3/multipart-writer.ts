import { createHash } from 'node:crypto'
import { Writable } from 'node:stream'
import { crc32 } from 'node:zlib'
import type {
  CompletedPart,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { destinationError } from '../destination-errors.js'
import { s3Error } from './s3-errors.js'
import { sdk } from './sdk.js'

export interface LockSettings {
  mode: 'GOVERNANCE' | 'COMPLIANCE'
  days: number
}

export interface MultipartTarget {
  client: S3Client
  bucket: string
  key: string
  label: string
  lock: LockSettings | null
  /** First part size; it grows as parts add up, so 10,000 parts reach past 500 GB. */
  partSize: number
  /** Parts uploading at once; memory is about (concurrency + 1) × the part size. */
  concurrency: number
  /** Told when the multipart upload exists, so a crash can be traced to it. */
  onUploadId?: (uploadId: string) => void
}

/** Part sizes by part number: 8 MiB × 2,000, then doubling every 2,000 parts. */
export function partSizeFor(partNumber: number, base: number): number {
  return base * 2 ** Math.min(4, Math.floor((partNumber - 1) / 2000))
}

/**
 * A writable that streams into one S3 object with bounded memory and no
 * local scratch: bytes fill one part in memory; a full part is uploaded
 * (CRC32 checksum sent for the server to verify, and the server's ETag or
 * checksum compared with ours on return) while the next fills. A stream that
 * ends before its first part is full becomes one PutObject. Either way the
 * object appears only when complete, and `If-None-Match: *` keeps it from
 * replacing an object that took the name meanwhile. finish() completes it.
 */
export class MultipartWriter {
  readonly stream: Writable
  private uploadId: string | null = null
  private buffer: Buffer[] = []
  private buffered = 0
  private partNumber = 1
  private readonly parts: CompletedPart[] = []
  private readonly inFlight = new Set<Promise<void>>()
  private failure: unknown = null
  private ended: Promise<void>
  bytes = 0

  constructor(private readonly target: MultipartTarget) {
    let settle!: { resolve: () => void; reject: (e: unknown) => void }
    this.ended = new Promise((resolve, reject) => (settle = { resolve, reject }))
    this.ended.catch(() => undefined)
    this.stream = new Writable({
      highWaterMark: 1 << 20,
      write: (chunk: Buffer, _encoding, done) => {
        this.take(chunk).then(() => done(), done)
      },
      final: (done) => {
        this.flushLast().then(
          () => {
            settle.resolve()
            done()
          },
          (error: unknown) => {
            settle.reject(error)
            done(error as Error)
          },
        )
      },
      destroy: (error, done) => {
        if (error) settle.reject(error)
        done(error)
      },
    })
  }

  /** Complete the upload (all parts sent): the object appears now, or the call fails and nothing appears. */
  async finish(): Promise<{ versionId: string | null }> {
    await this.ended
    const { client, bucket, key, label } = this.target
    if (this.uploadId === null) {
      // Everything fitted in one part: a single PutObject is just as atomic.
      const body = Buffer.concat(this.buffer)
      this.buffer = []
      try {
        const put = await client.send(
          unsignedPayload(
            new sdk.PutObjectCommand({
              Bucket: bucket,
              Key: key,
              Body: body,
              IfNoneMatch: '*',
              ChecksumAlgorithm: 'CRC32',
              ChecksumCRC32: crc32Of(body),
              ContentType: 'application/octet-stream',
              ...this.lockFields(),
            }),
          ),
        )
        return { versionId: put.VersionId ?? null }
      } catch (error) {
        throw s3Error(label, error, 'write the backup')
      }
    }
    const parts = [...this.parts].sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0))
    try {
      const done = await client.send(
        new sdk.CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: this.uploadId,
          IfNoneMatch: '*',
          MultipartUpload: { Parts: parts },
        }),
      )
      this.uploadId = null
      return { versionId: done.VersionId ?? null }
    } catch (error) {
      throw s3Error(label, error, 'complete the upload')
    }
  }

  /** Drop the upload: parts already sent are freed on the server. */
  async abort(): Promise<void> {
    this.buffer = []
    await Promise.allSettled(this.inFlight)
    const uploadId = this.uploadId
    if (!uploadId) return
    await this.target.client.send(
      new sdk.AbortMultipartUploadCommand({
        Bucket: this.target.bucket,
        Key: this.target.key,
        UploadId: uploadId,
      }),
    )
    this.uploadId = null
  }

  get pendingUploadId(): string | null {
    return this.uploadId
  }

  private async take(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure
    this.bytes += chunk.length
    let offset = 0
    while (offset < chunk.length) {
      const size = partSizeFor(this.partNumber, this.target.partSize)
      const n = Math.min(size - this.buffered, chunk.length - offset)
      this.buffer.push(chunk.subarray(offset, offset + n))
      this.buffered += n
      offset += n
      if (this.buffered === size) await this.sendPart()
    }
  }

  private async flushLast(): Promise<void> {
    if (this.uploadId !== null && this.buffered > 0) await this.sendPart()
    await Promise.all(this.inFlight)
    if (this.failure) throw this.failure
  }

  private async sendPart(): Promise<void> {
    // Wait for room: at most `concurrency` parts on their way.
    while (this.inFlight.size >= this.target.concurrency) await Promise.race(this.inFlight)
    if (this.failure) throw this.failure
    await this.ensureUpload()
    const body = Buffer.concat(this.buffer, this.buffered)
    this.buffer = []
    this.buffered = 0
    const partNumber = this.partNumber++
    if (partNumber > 10_000) {
      throw destinationError(
        'DESTINATION_FULL',
        this.target.label,
        'the backup is larger than one S3 object can be (10,000 parts).',
      )
    }
    const sending = this.uploadPart(partNumber, body).catch((error: unknown) => {
      this.failure ??= error
    })
    const tracked = sending.finally(() => this.inFlight.delete(tracked))
    this.inFlight.add(tracked)
  }

  private async ensureUpload(): Promise<void> {
    if (this.uploadId !== null) return
    const { client, bucket, key, label } = this.target
    try {
      const created = await client.send(
        new sdk.CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          ChecksumAlgorithm: 'CRC32',
          ContentType: 'application/octet-stream',
          ...this.lockFields(),
        }),
      )
      if (!created.UploadId) throw new Error('no UploadId in the reply')
      this.uploadId = created.UploadId
      this.target.onUploadId?.(created.UploadId)
    } catch (error) {
      throw s3Error(label, error, 'start an upload')
    }
  }

  private async uploadPart(partNumber: number, body: Buffer): Promise<void> {
    const { client, bucket, key, label } = this.target
    const checksum = crc32Of(body)
    let reply
    try {
      reply = await client.send(
        unsignedPayload(
          new sdk.UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: this.uploadId as string,
            PartNumber: partNumber,
            Body: body,
            ContentLength: body.length,
            ChecksumCRC32: checksum,
          }),
        ),
      )
    } catch (error) {
      throw s3Error(label, error, 'upload a part')
    }
    // The server's view of the part must match ours: its CRC32 when it returns one, else a
    // plain MD5 ETag (servers that encrypt with KMS return other ETags, which are not compared).
    const etag = reply.ETag?.replace(/"/g, '') ?? ''
    const mismatch = reply.ChecksumCRC32
      ? reply.ChecksumCRC32 !== checksum
      : /^[0-9a-f]{32}$/.test(etag) &&
        reply.ServerSideEncryption !== 'aws:kms' &&
        etag !== createHash('md5').update(body).digest('hex')
    if (!reply.ETag || mismatch) {
      throw destinationError(
        'DESTINATION_SERVER',
        label,
        `the server stored part ${partNumber} differently from what was sent (checksum mismatch). The upload was dropped; try again.`,
      )
    }
    this.parts.push({
      PartNumber: partNumber,
      ETag: reply.ETag,
      ...(reply.ChecksumCRC32 ? { ChecksumCRC32: reply.ChecksumCRC32 } : {}),
    })
  }

  private lockFields() {
    const lock = this.target.lock
    if (!lock) return {}
    return {
      ObjectLockMode: lock.mode,
      ObjectLockRetainUntilDate: new Date(Date.now() + lock.days * 86_400_000),
    }
  }
}

/** The part's CRC32 as S3 wants it: the 4 bytes, big-endian, in base64. */
function crc32Of(data: Buffer): string {
  const bytes = Buffer.alloc(4)
  bytes.writeUInt32BE(crc32(data) >>> 0)
  return bytes.toString('base64')
}

/**
 * Sign the request without hashing its body (`UNSIGNED-PAYLOAD`, SigV4's
 * own value for this). SigV4 otherwise puts the body's SHA-256 in the
 * signature: a second pass over every byte on this thread, 2 CPU-seconds
 * per gigabyte on a machine without SHA instructions, for nothing the
 * backup needs: the part's CRC32 checksum, which the server verifies,
 * catches damage on the way, and the age encryption inside authenticates
 * every byte against tampering (a changed byte fails the restore).
 */
function unsignedPayload<C extends UploadPartCommand | PutObjectCommand>(command: C): C {
  // The two commands' stacks differ only in their input types, which this step does not read.
  const stack = command.middlewareStack as UploadPartCommand['middlewareStack']
  stack.add(
    (next) => (args) => {
      const request = args.request as { headers?: Record<string, string> }
      if (request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD'
      return next(args)
    },
    { step: 'build', name: 'cairnUnsignedPayload' },
  )
  return command
}
