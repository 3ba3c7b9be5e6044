/**
 * A small backup (an incremental link, a manifest read alone) is decrypted
 * and decompressed on the calling thread instead of in a worker: the same
 * bytes, and the same failures for a wrong key, a truncated file, invalid
 * compressed data (encrypted with the real age CLI to the right key) and a
 * source that fails mid-read.
 */
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { generateBackupKey, type BackupKey } from '../../main/backup/key/backup-key'
import { openBackupStream } from '../../main/backup/pipeline/open-backup'
import { backUp, setUpBackupKey } from '../support/backup-fixtures'
import { makeProfile } from '../support/profiles'

const openers = {
  worker: (bytes: Readable, key: BackupKey) => openBackupStream(bytes, key),
  'calling thread': (bytes: Readable, key: BackupKey) => openBackupStream(bytes, key, { size: 0 }),
}

async function read(stream: Readable): Promise<{ bytes?: Buffer; error?: Error }> {
  const chunks: Buffer[] = []
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer)
    return { bytes: Buffer.concat(chunks) }
  } catch (error) {
    return { error: error as Error }
  }
}

/** A source that gives `bytes` in 64 KiB pieces, then fails with `failure` (when given). */
function source(bytes: Buffer, failure?: Error): Readable {
  let at = 0
  return new Readable({
    read() {
      if (at < bytes.length) {
        this.push(bytes.subarray(at, at + 65_536))
        at += 65_536
      } else if (failure) this.destroy(failure)
      else this.push(null)
    },
  })
}

describe('opening a small backup on the calling thread', () => {
  it('gives the bytes and the failures the worker gives', async () => {
    const profile = await makeProfile({ messages: 5 })
    const key = generateBackupKey()
    setUpBackupKey(profile.dir, key)
    const file = readFileSync((await backUp(profile, key)).path)
    const garbage = execFileSync('age', ['-r', key.recipient], { input: randomBytes(50_000) })
    const cases = {
      whole: { bytes: file, key },
      'wrong key': { bytes: file, key: generateBackupKey() },
      truncated: { bytes: file.subarray(0, file.length - 100), key },
      'not zstd': { bytes: garbage, key },
    }
    for (const [name, { bytes, key: k }] of Object.entries(cases)) {
      const [inWorker, here] = [
        await read(openers.worker(source(bytes), k)),
        await read(openers['calling thread'](source(bytes), k)),
      ]
      expect(here.error?.name, name).toBe(inWorker.error?.name)
      expect(here.error?.message, name).toBe(inWorker.error?.message)
      expect((here.error as { code?: string })?.code, name).toBe(
        (inWorker.error as { code?: string })?.code,
      )
      const digest = (b?: Buffer) => b && createHash('sha256').update(b).digest('hex')
      expect(digest(here.bytes), name).toBe(digest(inWorker.bytes))
    }
    expect(
      (await read(openers['calling thread'](source(file), key))).bytes?.length,
    ).toBeGreaterThan(10_000)
    expect((await read(openers['calling thread'](source(garbage), key))).error).toMatchObject({
      code: 'ERR_CAIRN_ZSTD',
    })
    // A lost connection ends the stream with that very error.
    const lost = new Error('connection reset')
    for (const open of Object.values(openers))
      expect((await read(open(source(file.subarray(0, 70_000), lost), key))).error).toBe(lost)
  })
})
