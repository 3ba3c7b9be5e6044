import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll } from 'vitest'
import { S3Destination, type S3Settings } from '../../main/backup/destination/s3/s3-destination'
import { describeDestinationContract } from '../support/destination-contract'
import { startMoto, type MotoServer } from '../support/moto'

const credentials = { accessKeyId: 'cairn-test', secretAccessKey: 'cairn-test-secret' }
let moto: MotoServer
let admin: S3Client

beforeAll(async () => {
  moto = await startMoto()
  admin = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials })
})
afterAll(async () => {
  admin?.destroy()
  await moto?.stop()
})

function settings(bucket: string, prefix: string, extra: Partial<S3Settings> = {}): S3Settings {
  return { bucket, prefix, endpoint: moto.endpoint, credentials, partSize: 5 << 20, env: {}, ...extra }
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
        return Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray())
      } catch {
        return null
      }
    },
    rawNames: async () => {
      const listed = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))
      return (listed.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length))
    },
    rawFolder: async (name) => {
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${name}/inside`, Body: 'x' }))
    },
    dispose: () => destination.close(),
  }
})
