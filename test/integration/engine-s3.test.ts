import {
  CreateBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { createServer, request } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatKeyAge } from '../../main/backup/key/backup-key'
import { runCli } from '../support/cli'
import {
  addDestination,
  bigProfile,
  cliEnv,
  describeEngineSuite,
  profileFingerprint,
  until,
  type EngineHarness,
} from '../support/engine-suite'
import { useRealKeychain } from '../support/keyring'
import { startMoto, type MotoServer } from '../support/moto'
import { startRelay } from '../support/tcp-relay'
import { tempDir } from '../support/temp'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
let moto: MotoServer
let admin: S3Client
let relay: Awaited<ReturnType<typeof startRelay>>
let buckets = 0

beforeAll(async () => {
  keyring = await useRealKeychain()
  // IAM on: moto checks every signature and every permission (see test/support/moto.ts).
  moto = await startMoto({ auth: true })
  admin = new S3Client({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: moto.users?.writer,
  })
  relay = await startRelay(moto.port)
})
afterAll(async () => {
  admin?.destroy()
  await relay?.close()
  await moto?.stop()
  keyring?.stop()
})

const users = () => moto.users as NonNullable<MotoServer['users']>

/** A bucket of its own per test, with a prefix that has a space and a non-ASCII letter in it. */
async function s3Harness(): Promise<EngineHarness & { bucket: string; prefix: string }> {
  const bucket = `cairn-engine-${++buckets}`
  const prefix = 'Laptop backups/ü/'
  await admin.send(new CreateBucketCommand({ Bucket: bucket }))
  const endpoint = `http://127.0.0.1:${relay.port}`
  const writer = users().writer
  return {
    kind: 's3',
    relay,
    bucket,
    prefix,
    url: `s3://${bucket}/${prefix}`,
    addOptions: ['--endpoint', endpoint, '--user', writer.accessKeyId, '--password-stdin'],
    addInput: `${writer.secretAccessKey}\n`,
    wrongAddOptions: ['--endpoint', endpoint, '--user', writer.accessKeyId, '--password-stdin'],
    wrongAddInput: 'not-the-secret\n',
    adHocOptions: [],
    adHocEnv: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: writer.accessKeyId,
      AWS_SECRET_ACCESS_KEY: writer.secretAccessKey,
    },
    rawNames: async () => {
      const listed = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))
      return (listed.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length))
    },
    rawPut: async (name, data) => {
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + name, Body: data }))
    },
    unfinishedUploads: async () =>
      ((await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [])
        .length,
    killServerAfter: async (bytes) => {
      const cuts = relay.relayed.cuts
      relay.cutAfter(bytes)
      await until('the link to be cut mid-upload', () => relay.relayed.cuts > cuts)
    },
    reviveServer: async () => relay.restore(),
    leavesAfterKill: 'upload',
  }
}

describeEngineSuite('S3 (moto, IAM on)', s3Harness)

describe('S3: stock tools and bad input', () => {
  it('a backup written to S3 restores with stock tools: rclone cat | age -d | zstd -d | tar -x', async () => {
    const h = await s3Harness()
    const { profile, key } = await bigProfile(2)
    expect((await addDestination(h, profile.dir, 'offsite')).code).toBe(0)
    const backedUp = await runCli(
      ['backup', '--profile', profile.dir, '--to', 'offsite', '--json'],
      {
        env: cliEnv(),
      },
    )
    expect(backedUp.code, backedUp.stderr).toBe(0)
    const { name } = JSON.parse(backedUp.stdout) as { name: string }
    const work = tempDir()
    const identity = join(work, 'key.txt')
    execFileSync('bash', ['-c', `umask 077; cat > "${identity}"`], {
      input: `${formatKeyAge(key.secret)}\n`,
    })
    const out = join(work, 'out')
    mkdirSync(out)
    const reader = users().reader
    execFileSync(
      'bash',
      [
        '-c',
        'set -o pipefail; rclone cat ":s3:$BUCKET/$KEY" --s3-provider Other --s3-endpoint "$ENDPOINT" ' +
          '--s3-force-path-style | age -d -i "$IDENTITY" | zstd -d | tar -x -C "$OUT"',
      ],
      {
        env: {
          ...process.env,
          BUCKET: h.bucket,
          KEY: `${h.prefix}${name}`,
          ENDPOINT: moto.endpoint,
          IDENTITY: identity,
          OUT: out,
          // rclone's own environment settings: no key on its command line, no config file.
          RCLONE_CONFIG: '/dev/null',
          RCLONE_S3_ACCESS_KEY_ID: reader.accessKeyId,
          RCLONE_S3_SECRET_ACCESS_KEY: reader.secretAccessKey,
          AWS_CA_BUNDLE: '',
        },
      },
    )
    const original = profileFingerprint(profile.dir, 'data')
    const unpacked = profileFingerprint(out, 'data')
    for (const path of Object.keys(original).filter((p) => p !== 'mail.sqlite'))
      expect(unpacked[path], path).toBe(original[path])
    expect(JSON.parse(readFileSync(join(out, 'cairn-manifest.json'), 'utf8'))).toMatchObject({
      profileId: profile.id,
    })
  })

  it('a bucket that does not exist, no permission to write, and an unknown access key: each said, nothing else touched', async () => {
    const h = await s3Harness()
    const { profile } = await bigProfile(1)
    const before = profileFingerprint(profile.dir, 'data')
    const endpoint = `http://127.0.0.1:${relay.port}`
    const add = (name: string, url: string, id: string, secret: string) =>
      runCli(
        [
          'destination',
          'add',
          '--profile',
          profile.dir,
          name,
          url,
          '--endpoint',
          endpoint,
          '--user',
          id,
          '--password-stdin',
          '--no-test',
        ],
        { env: cliEnv(), input: `${secret}\n` },
      )
    const { writer, reader } = users()
    expect(
      (
        await add(
          'missing',
          's3://no-such-bucket-cairn/x',
          writer.accessKeyId,
          writer.secretAccessKey,
        )
      ).code,
    ).toBe(0)
    expect((await add('readonly', h.url, reader.accessKeyId, reader.secretAccessKey)).code).toBe(0)
    expect((await add('stranger', h.url, 'AKIAIOSFODNN7EXAMPLE', 'whatever')).code).toBe(0)
    expect((await addDestination(h, profile.dir, 'good')).code).toBe(0)
    const cases: [string, RegExp][] = [
      [
        'missing',
        /Backup destination s3:\/\/no-such-bucket-cairn\/x\/: the bucket does not exist\. Create it/,
      ],
      [
        'readonly',
        /Backup destination s3:\/\/cairn-engine-\d+\/Laptop backups\/ü\/: these credentials may not .* \(AccessDenied\)\. Grant them/,
      ],
      [
        'stranger',
        /Backup destination s3:\/\/cairn-engine-\d+\/Laptop backups\/ü\/: the server did not accept the credentials \(InvalidAccessKeyId\)/,
      ],
    ]
    for (const [name, message] of cases) {
      const result = await runCli(['backup', '--profile', profile.dir, '--to', name], {
        env: cliEnv(),
      })
      expect(result.code, name).toBe(1)
      expect(result.stderr, name).toMatch(message)
      expect(await h.rawNames(), name).toEqual([])
    }
    expect(profileFingerprint(profile.dir, 'data')).toEqual(before)
    // The good destination beside them works.
    expect(
      (await runCli(['backup', '--profile', profile.dir, '--to', 'good'], { env: cliEnv() })).code,
    ).toBe(0)
  })

  it('a full bucket, 500s, garbage XML and a slow server: a message naming the destination and what to do', async () => {
    const h = await s3Harness()
    const { profile } = await bigProfile(6)
    // A front end that plays the failing server: full on upload, 500 or garbage on listing, or slow.
    let mode: 'full' | '500' | 'garbage' | 'slow' = 'full'
    const front = createServer((req, res) => {
      const listing = (req.url ?? '').includes('list-type')
      const upload = req.method === 'PUT' && /partNumber|tar\.zst\.age(\?|$)/.test(req.url ?? '')
      if (
        (mode === 'full' && upload) ||
        (mode === '500' && listing) ||
        (mode === 'garbage' && listing)
      ) {
        req.resume()
        if (mode === 'full') {
          res.writeHead(507, { 'content-type': 'application/xml' })
          res.end(
            '<?xml version="1.0"?><Error><Code>XMinioStorageFull</Code><Message>Storage backend has reached its minimum free drive threshold.</Message></Error>',
          )
        } else if (mode === '500') {
          res.writeHead(500, { 'content-type': 'text/html' })
          res.end('<html><body>Internal Server Error</body></html>')
        } else {
          res.writeHead(200, { 'content-type': 'application/xml' })
          res.end('<ListBucketResult><Contents><Key>cairn-backup-2026')
        }
        return
      }
      const forward = () => {
        const upstream = request(
          {
            host: '127.0.0.1',
            port: moto.port,
            path: req.url,
            method: req.method,
            headers: req.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(res)
          },
        )
        req.pipe(upstream)
      }
      if (mode === 'slow') setTimeout(forward, 5000)
      else forward()
    })
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve))
    const endpoint = `http://127.0.0.1:${(front.address() as { port: number }).port}`
    const writer = users().writer
    // 'flaky' keeps the default deadline, so a loaded machine's slow moto is not taken
    // for a silent server; 'slow' (the same endpoint) waits 2 s, for the slow mode alone.
    const add = (name: string, timeout: string[]) =>
      runCli(
        [
          'destination',
          'add',
          '--profile',
          profile.dir,
          name,
          h.url,
          '--endpoint',
          endpoint,
          '--user',
          writer.accessKeyId,
          '--password-stdin',
          ...timeout,
          '--no-test',
        ],
        { env: cliEnv(), input: `${writer.secretAccessKey}\n` },
      )
    expect((await add('flaky', [])).code).toBe(0)
    expect((await add('slow', ['--timeout', '2'])).code).toBe(0)
    const before = profileFingerprint(profile.dir, 'data')
    const backup = () =>
      runCli(['backup', '--profile', profile.dir, '--to', 'flaky'], { env: cliEnv() })
    try {
      const full = await backup()
      expect(full.stderr).toMatch(
        /Backup destination s3:\/\/.+: the storage is full or over its quota \(XMinioStorageFull\)\. The unfinished upload was removed and older backups are untouched; free space/,
      )
      expect(await h.unfinishedUploads()).toBe(0)
      mode = '500'
      expect((await backup()).stderr).toMatch(
        /the server failed \(500: .*\) while Cairn tried to list the bucket\. Try again later/,
      )
      mode = 'garbage'
      expect((await backup()).stderr).toMatch(
        /the server failed \(.*\) while Cairn tried to list the bucket\. .*check the endpoint is an S3-compatible service/,
      )
      mode = 'slow'
      const slow = await runCli(['list', '--to', 'slow', '--profile', profile.dir], {
        env: cliEnv(),
      })
      expect(slow.code).toBe(1)
      expect(slow.stderr).toMatch(
        /Backup destination s3:\/\/.+: the server stopped answering \(timed out\)\. Check the network, or try again later\./,
      )
    } finally {
      await new Promise<void>((resolve) => front.close(() => resolve()))
    }
    expect(await h.rawNames()).toEqual([])
    expect(profileFingerprint(profile.dir, 'data')).toEqual(before)
  })
})
