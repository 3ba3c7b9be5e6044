/**
 * A small incremental link is sealed (zstd, age, SHA-256) on the calling
 * thread instead of in a worker: the real age and zstd CLIs open what either
 * sealer writes to the same bytes, and the size and hash each reports are
 * those of the file it wrote.
 */
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { describe, expect, it } from 'vitest'
import { formatKeyAge, generateBackupKey } from '../../main/backup/key/backup-key'
import { parseRecipient } from '../../main/backup/age/x25519'
import { sealBackupStream } from '../../main/backup/pipeline/seal-backup'
import { sealBackupInThread } from '../../main/backup/pipeline/seal-in-thread'
import { tempDir } from '../support/temp'

const sealers = { worker: sealBackupStream, 'calling thread': sealBackupInThread }

describe('sealing a small backup on the calling thread', () => {
  it('writes what age -d | zstd -d opens, with the size and SHA-256 it reports, as the worker does', async () => {
    const key = generateBackupKey()
    const dir = tempDir()
    const identity = join(dir, 'key.txt')
    writeFileSync(identity, `${formatKeyAge(key.secret)}\n`, { mode: 0o600 })
    // Compressible and incompressible parts, in pieces of uneven sizes.
    const plain = Buffer.concat([Buffer.alloc(3_000_000, 'mail '), randomBytes(2_500_000)])
    for (const [name, seal] of Object.entries(sealers)) {
      const sealed = seal(parseRecipient(key.recipient))
      const parts: Buffer[] = []
      for (let at = 0; at < plain.length; at += 70_001) parts.push(plain.subarray(at, at + 70_001))
      const chunks: Buffer[] = []
      await Promise.all([
        pipeline(Readable.from(parts), sealed.sink),
        (async () => {
          for await (const chunk of sealed.output) chunks.push(chunk as Buffer)
        })(),
      ])
      const file = Buffer.concat(chunks)
      const { size, sha256 } = await sealed.result
      expect(size, name).toBe(file.length)
      expect(sha256, name).toBe(createHash('sha256').update(file).digest('hex'))
      const opened = execFileSync('sh', ['-c', `age -d -i "${identity}" | zstd -d -q`], {
        input: file,
        maxBuffer: 64 * 1024 * 1024,
      })
      expect(opened.equals(plain), name).toBe(true)
    }
  })
})
