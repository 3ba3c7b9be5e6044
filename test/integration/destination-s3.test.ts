import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hostTag, sidecarName } from '../../main/backup/destination/names'
import { isCairnError, type CairnError } from '../../main/shared/errors'
import { deadPid } from '../support/dead-pid'
import { startRelay } from '../support/tcp-relay'
import { S3Destination, type S3Settings } from '../../main/backup/destination/s3/s3-destination'
import { describeDestinationContract, readAll, writeBackup } from '../support/destination-contract'
import { backupIntoStall } from '../support/stalls'
import { startMoto, type MotoServer } from '../support/moto'
import { within } from '../support/within'

const credentials = { accessKeyId: 'cairn-test', secretAccessKey: 'cairn-test-secret' }
let moto: MotoServer
let admin: S3Client

beforeAll(async () => {
  moto = await startMoto()
  admin = new S3Client({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
  })
})
afterAll(async () => {
  admin?.destroy()
  await moto?.stop()
})

function settings(bucket: string, prefix: string, extra: Partial<S3Settings> = {}): S3Settings {
  return {
    bucket,
    prefix,
    endpoint: moto.endpoint,
    credentials,
    partSize: 5 << 20,
    env: {},
    ...extra,
  }
}

describeDestinationContract('S3 (moto)', async () => {
  const bucket = 'cairn-contract'
  const prefix = 'laptop/backups/'
  await admin.send(new CreateBucketCommand({ Bucket: bucket }))
  const destination = new S3Destination(settings(bucket, prefix))
  return {
    destination,
    rawPut: async (name, data) => {
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + name, Body: data }))
    },
    rawGet: async (name) => {
      try {
        const got = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + name }))
        return Buffer.from(
          await (
            got.Body as { transformToByteArray(): Promise<Uint8Array> }
          ).transformToByteArray(),
        )
      } catch {
        return null
      }
    },
    rawNames: async () => {
      const listed = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))
      return (listed.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length))
    },
    rawFolder: async (name) => {
      await admin.send(
        new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${name}/inside`, Body: 'x' }),
      )
    },
    dispose: () => destination.close(),
  }
})

describe('S3 against a real server: failures, crashes, Object Lock, stock tools', () => {
  it('says when the bucket does not exist, and when the credentials are wrong', async () => {
    const missing = new S3Destination(settings('no-such-bucket-here', ''))
    await expect(missing.test()).rejects.toSatisfy(
      (e) =>
        isCairnError(e, 'DESTINATION_MISSING') &&
        /s3:\/\/no-such-bucket-here\/: the bucket does not exist/.test((e as Error).message),
    )
    await missing.close()
    // moto accepts any key by default; a server that checks them answers InvalidAccessKeyId:
    // the same mapping is exercised through a server that refuses (see the hostile server test).
  })

  it('a link lost in the middle of an upload leaves no complete-looking object, and the next run aborts the upload', async () => {
    const bucket = 'cairn-cut'
    await admin.send(new CreateBucketCommand({ Bucket: bucket }))
    const relay = await startRelay(moto.port)
    const endpoint = `http://127.0.0.1:${relay.port}`
    const destination = new S3Destination(
      settings(bucket, 'p/', { endpoint, maxAttempts: 1, requestTimeoutMs: 5000 }),
    )
    const data = randomBytes(20 << 20)
    relay.cutAfter(12 << 20)
    const error = await writeBackup(destination, new Date(Date.UTC(2026, 0, 1)), data).catch(
      (e: unknown) => e,
    )
    expect(`${(error as CairnError).code}: ${(error as Error).message}`).toMatch(
      /^DESTINATION_UNREACHABLE: Backup destination s3:\/\/cairn-cut\/p\/: the connection to the server was lost/,
    )
    relay.restore()
    const objects = await admin.send(new ListObjectsV2Command({ Bucket: bucket }))
    expect((objects.Contents ?? []).filter((o) => o.Key?.endsWith('.tar.zst.age'))).toEqual([])
    expect(await destination.list()).toEqual([])
    // The upload (and its marker) could not be dropped while the link was down: they wait for the next run.
    const before = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
    expect(before.Uploads?.length).toBe(1)
    const report = await destination.cleanup()
    expect(report.removed.some((r) => r.includes('unfinished upload'))).toBe(true)
    const after = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
    expect(after.Uploads ?? []).toEqual([])
    expect(
      await writeBackup(destination, new Date(Date.UTC(2026, 0, 1)), data.subarray(0, 1 << 20)),
    ).toMatch(/^cairn-backup-/)
    await destination.close()
    await relay.close()
  })

  it('sends each part with a CRC32 checksum and an unsigned payload, and a part damaged on the way leaves no backup', async () => {
    const bucket = 'cairn-damaged'
    await admin.send(new CreateBucketCommand({ Bucket: bucket }))
    const relay = await startRelay(moto.port)
    const destination = new S3Destination(
      settings(bucket, 'p/', { endpoint: `http://127.0.0.1:${relay.port}`, maxAttempts: 1 }),
    )
    // What the requests say about their bodies: the SDK would otherwise hash every part again
    // (SigV4's payload hash) on the thread that feeds the upload.
    let requests = ''
    relay.tamperUp((data) => {
      requests += data.toString('latin1').replace(/[^\x20-\x7e\r\n]/g, '')
      return data
    })
    const data = randomBytes(20 << 20)
    expect(await writeBackup(destination, new Date(Date.UTC(2026, 0, 1)), data)).toMatch(
      /^cairn-backup-/,
    )
    const partRequests = requests.split(/\r\n\r\n/).filter((h) => /^PUT \S+partNumber=/m.test(h))
    expect(partRequests.length).toBeGreaterThanOrEqual(2)
    for (const headers of partRequests) {
      expect(headers).toMatch(/^x-amz-content-sha256: UNSIGNED-PAYLOAD$/im)
      expect(headers).toMatch(/^x-amz-checksum-crc32: [A-Za-z0-9+/]{6}==$/im)
    }
    // One byte flipped 2 MiB into the next upload: inside a part's body, its headers long sent.
    const start = relay.relayed.up
    relay.tamperUp((chunk, offset) => {
      const at = start + (2 << 20) - offset
      if (at < 0 || at >= chunk.length) return chunk
      const copy = Buffer.from(chunk)
      copy[at] = (copy[at] as number) ^ 0xff
      return copy
    })
    const error = await writeBackup(destination, new Date(Date.UTC(2026, 0, 2)), data).catch(
      (e: unknown) => e,
    )
    expect(isCairnError(error)).toBe(true)
    expect((error as Error).message).toMatch(/s3:\/\/cairn-damaged\/p\//)
    relay.tamperUp(null)
    expect((await destination.list()).map((b) => b.name)).toHaveLength(1)
    await destination.close()
    await relay.close()
  })

  it('leaves alone an upload a live writer owns, and aborts one whose writer crashed', async () => {
    const bucket = 'cairn-crash'
    await admin.send(new CreateBucketCommand({ Bucket: bucket }))
    const destination = new S3Destination(settings(bucket, ''))
    const writing = await destination.startBackup(new Date(Date.UTC(2026, 1, 1)))
    writing.stream.write(randomBytes(6 << 20)) // fills the first part: the upload starts
    // Wait until the server has it (a fixed sleep is too short on a loaded machine).
    await expect
      .poll(
        async () =>
          ((await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [])
            .length,
      )
      .toBe(1)
    // A crashed writer's upload: its marker names a process that has ended.
    const crashedName = 'cairn-backup-20260201T000001Z.tar.zst.age'
    const crashed = await admin.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: crashedName }),
    )
    await admin.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${crashedName}.${deadPid()}-${hostTag()}.partial.json`,
        Body: '{}',
      }),
    )
    // Someone else's upload with a name that is not Cairn's.
    await admin.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'their-video.mp4' }))
    await destination.cleanup()
    const uploads =
      (await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []
    expect(uploads.map((u) => u.Key).sort()).toEqual([
      'cairn-backup-20260201T000000Z.tar.zst.age',
      'their-video.mp4',
    ])
    expect(uploads.some((u) => u.UploadId === crashed.UploadId)).toBe(false)
    await writing.abort()
    await destination.close()
  })

  it('says so clearly when the server answers 500s or garbage instead of S3', async () => {
    const hostile = createServer((req, res) => {
      req.resume()
      if ((req.url ?? '').includes('list-type')) {
        res.writeHead(200, { 'content-type': 'application/xml' })
        res.end(
          '<ListBucketResult><Contents><Key>cairn-backup-20260101T000000Z.tar.zst.age</Key><Size>oops',
        )
      } else {
        res.writeHead(500, { 'content-type': 'text/html' })
        res.end('<html>Internal error</html>')
      }
    })
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve))
    const endpoint = `http://127.0.0.1:${(hostile.address() as { port: number }).port}`
    const destination = new S3Destination(settings('any-bucket', '', { endpoint, maxAttempts: 2 }))
    await expect(destination.list()).rejects.toSatisfy((e) => isCairnError(e, 'DESTINATION_SERVER'))
    await expect(
      destination.readSidecar('cairn-backup-20260101T000000Z.tar.zst.age'),
    ).rejects.toSatisfy(
      (e) => isCairnError(e, 'DESTINATION_SERVER') && /failed \(500/.test((e as Error).message),
    )
    await destination.close()
    await new Promise<void>((resolve) => hostile.close(() => resolve()))
  })

  it('stops a listing that never ends (a repeated token, ever new ones, none) and names the destination', async () => {
    // A broken or hostile S3-compatible server always says there is another page.
    type Mode = 'same' | 'fresh' | 'full' | 'none'
    let mode: Mode = 'same'
    let requests = 0
    const hostile = createServer((req, res) => {
      req.resume()
      requests++
      const url = new URL(req.url ?? '/', 'http://x')
      const page = requests
      res.writeHead(200, { 'content-type': 'application/xml' })
      const token = mode === 'same' ? 'again' : `t${page}`
      const next = mode === 'none' ? '' : token
      if (url.searchParams.has('uploads')) {
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>any-bucket</Bucket>` +
            `<IsTruncated>true</IsTruncated>` +
            (next
              ? `<NextKeyMarker>${next}</NextKeyMarker><NextUploadIdMarker>u</NextUploadIdMarker>`
              : '') +
            `<Upload><Key>cairn-backup-20260101T000000Z.tar.zst.age</Key><UploadId>u${page}</UploadId></Upload>` +
            `</ListMultipartUploadsResult>`,
        )
        return
      }
      const keys = mode === 'full' ? 1000 : 1
      const contents = Array.from(
        { length: keys },
        (_, i) =>
          `<Contents><Key>junk-${page}-${i}</Key><Size>1</Size><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>`,
      ).join('')
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>any-bucket</Name><Prefix></Prefix>` +
          `<IsTruncated>true</IsTruncated>` +
          (next ? `<NextContinuationToken>${next}</NextContinuationToken>` : '') +
          `${contents}</ListBucketResult>`,
      )
    })
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve))
    const endpoint = `http://127.0.0.1:${(hostile.address() as { port: number }).port}`
    const destination = new S3Destination(settings('any-bucket', '', { endpoint, maxAttempts: 1 }))
    const refused =
      (why: RegExp, what = 'the bucket') =>
      (e: unknown) =>
        isCairnError(e, 'DESTINATION_SERVER') &&
        (e as Error).message.startsWith(
          `Backup destination s3://any-bucket/: the server's listing of ${what} does not end: `,
        ) &&
        why.test((e as Error).message)
    const cases: [Mode, () => Promise<unknown>, RegExp, string, number][] = [
      ['same', () => destination.list(), /already gave \(a loop\)/, 'the bucket', 2],
      ['none', () => destination.list(), /not where it goes on from/, 'the bucket', 1],
      ['fresh', () => destination.list(), /after 1000 pages and 1000 keys/, 'the bucket', 1000],
      ['full', () => destination.list(), /after 100 pages and 100000 keys/, 'the bucket', 100],
      ['same', () => destination.cleanup(), /already gave \(a loop\)/, 'unfinished uploads', 2],
      ['none', () => destination.cleanup(), /not where it goes on from/, 'unfinished uploads', 1],
      ['fresh', () => destination.cleanup(), /after 1000 pages/, 'unfinished uploads', 1000],
    ]
    for (const [which, run, why, what, pages] of cases) {
      mode = which
      requests = 0
      await expect(within(run(), `${which}: ${what}`, 30_000)).rejects.toSatisfy(refused(why, what))
      expect(requests, `${which}: ${what}`).toBe(pages)
    }
    await destination.close()
    hostile.closeAllConnections()
    await new Promise<void>((resolve) => hostile.close(() => resolve()))
  })

  it('stops reading a sidecar that never ends (no Content-Length) at the sidecar limit', async () => {
    // A hostile S3-compatible server (or anything in front of it) answers with a chunked body
    // that goes on and on: listing or restoring must not read it into memory until the timeout.
    let sent = 0
    let closed = false
    const hostile = createServer((req, res) => {
      req.resume()
      res.writeHead(200, { 'content-type': 'application/json' }) // chunked: no length said
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      const timer = setInterval(() => {
        sent += chunk.length
        res.write(chunk)
      }, 5)
      res.on('close', () => {
        closed = true
        clearInterval(timer)
      })
    })
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve))
    const endpoint = `http://127.0.0.1:${(hostile.address() as { port: number }).port}`
    const destination = new S3Destination(
      settings('any-bucket', '', { endpoint, maxAttempts: 1, requestTimeoutMs: 20_000 }),
    )
    const started = Date.now()
    await expect(
      destination.readSidecar('cairn-backup-20260101T000000Z.tar.zst.age'),
    ).resolves.toBeNull()
    expect(Date.now() - started).toBeLessThan(5_000)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(closed).toBe(true)
    expect(sent).toBeLessThan(4 << 20)
    await destination.close()
    hostile.closeAllConnections()
    await new Promise<void>((resolve) => hostile.close(() => resolve()))
  })

  it('says the server is too slow rather than hanging', async () => {
    const relay = await startRelay(moto.port)
    relay.delay(3000)
    const destination = new S3Destination(
      settings('cairn-contract', 'laptop/backups/', {
        endpoint: `http://127.0.0.1:${relay.port}`,
        requestTimeoutMs: 1000,
        maxAttempts: 1,
      }),
    )
    await expect(destination.list()).rejects.toSatisfy((e) =>
      isCairnError(e, 'DESTINATION_TIMEOUT'),
    )
    await destination.close()
    await relay.close()
  })

  it('locks backups and sidecars with Object Lock, so a stolen key cannot delete them', async () => {
    const bucket = 'cairn-locked'
    await admin.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }))
    const destination = new S3Destination(
      settings(bucket, '', { objectLock: { mode: 'COMPLIANCE', days: 1 } }),
    )
    expect((await destination.test()).details.objectLock).toBe('Enabled')
    // Smaller than one part: one PutObject, which moto locks (it ignores lock headers on multipart uploads).
    const name = await writeBackup(
      destination,
      new Date(Date.UTC(2026, 2, 1)),
      randomBytes(1 << 20),
    )
    for (const key of [name, sidecarName(name)]) {
      const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
      expect(head.ObjectLockMode).toBe('COMPLIANCE')
      expect(head.ObjectLockRetainUntilDate?.getTime()).toBeGreaterThan(Date.now() + 23 * 3600e3)
      await expect(
        admin.send(
          new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: head.VersionId }),
        ),
      ).rejects.toMatchObject({ name: 'AccessDenied' })
    }
    // Removing it hides it from listings; the locked version stays recoverable.
    await destination.remove(name)
    expect(await destination.list()).toEqual([])
    const versions = await admin.send(new ListObjectVersionsCommand({ Bucket: bucket }))
    expect(versions.Versions?.some((v) => v.Key === name)).toBe(true)
    await destination.close()
  })

  it('refuses Object Lock on a bucket without it', async () => {
    const destination = new S3Destination(
      settings('cairn-contract', 'x/', { objectLock: { mode: 'GOVERNANCE', days: 1 } }),
    )
    await expect(destination.test()).rejects.toSatisfy((e) =>
      isCairnError(e, 'DESTINATION_INVALID'),
    )
    await destination.close()
  })

  it('writes objects that stock tools read back byte for byte (rclone)', async () => {
    const bucket = 'cairn-rclone'
    await admin.send(new CreateBucketCommand({ Bucket: bucket }))
    const destination = new S3Destination(settings(bucket, 'deep/prefix/'))
    const data = randomBytes(11 << 20)
    const name = await writeBackup(destination, new Date(Date.UTC(2026, 3, 1)), data)
    const out = execFileSync(
      'rclone',
      [
        'cat',
        `:s3:${bucket}/deep/prefix/${name}`,
        '--s3-provider',
        'Other',
        '--s3-endpoint',
        moto.endpoint,
        '--s3-access-key-id',
        credentials.accessKeyId,
        '--s3-secret-access-key',
        credentials.secretAccessKey,
        '--s3-force-path-style',
      ],
      {
        maxBuffer: 64 << 20,
        env: { ...process.env, RCLONE_CONFIG: '/dev/null', AWS_CA_BUNDLE: '' },
      },
    )
    expect(createHash('sha256').update(out).digest('hex')).toBe(
      createHash('sha256').update(data).digest('hex'),
    )
    await destination.close()
  })
})

/**
 * Through a relay that stops passing bytes on, with the SDK's own retries
 * left as shipped (maxAttempts 5): mid-upload, at CompleteMultipartUpload
 * and mid-restore, each ends within a few idle deadlines with
 * DESTINATION_TIMEOUT naming the bucket, and no object appears.
 */
describe('an S3 server that stops answering', () => {
  const bucket = 'cairn-stall'
  let relay: Awaited<ReturnType<typeof startRelay>>
  let seconds = 0
  const at = () => new Date(Date.UTC(2026, 5, 1, 0, 0, seconds++))
  beforeAll(async () => {
    await admin.send(new CreateBucketCommand({ Bucket: bucket }))
    relay = await startRelay(moto.port)
  })
  afterAll(async () => {
    await relay?.close()
  })
  const stalled = () =>
    new S3Destination(
      settings(bucket, 'p/', {
        endpoint: `http://127.0.0.1:${relay.port}`,
        requestTimeoutMs: 1500,
      }),
    )
  const silent = (e: unknown) =>
    isCairnError(e, 'DESTINATION_TIMEOUT') &&
    (e as Error).message.startsWith(`Backup destination s3://${bucket}/p/: `)
  const noObject = async () => {
    const objects = await admin.send(new ListObjectsV2Command({ Bucket: bucket }))
    expect((objects.Contents ?? []).filter((o) => o.Key?.endsWith('.tar.zst.age'))).toEqual([])
  }

  it('mid-upload and at CompleteMultipartUpload: fails within the deadline, no object appears', async () => {
    for (const step of ['upload', 'complete'] as const) {
      const destination = stalled()
      try {
        const { error, ms } = await backupIntoStall(destination, relay, {
          payloadBytes: 12 << 20,
          ...(step === 'upload'
            ? { stallAfterBytes: 7 << 20 }
            : { beforeCommit: () => relay.stall() }),
          withinMs: 30_000,
          createdAt: at(),
        })
        expect(error, step).toSatisfy(silent)
        expect(ms, step).toBeLessThan(12_000)
        await noObject()
      } finally {
        await destination.close()
      }
    }
  })

  it('mid-restore: the read fails within the deadline', async () => {
    const destination = stalled()
    try {
      const name = await writeBackup(destination, at(), randomBytes(16 << 20))
      const stream = await destination.read(name)
      relay.stallAfterDown(2 << 20)
      const started = Date.now()
      const error = await within(
        readAll(stream).then(
          () => null,
          (e: unknown) => e,
        ),
        'the stalled restore to fail',
        30_000,
      )
      expect(Date.now() - started).toBeLessThan(12_000)
      expect(error).toSatisfy(silent)
    } finally {
      relay.restore()
      await destination.close()
    }
  })
})
