import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { backupIn } from '../../main/backup/destination/backup-source.js'
import type { ByteRange, Destination } from '../../main/backup/destination/destination.js'
import { CairnError } from '../../main/shared/errors.js'

const NAME = 'cairn-backup-20260101T000000Z.tar.zst.age'

/**
 * A destination holding one backup in memory, recording the range of every
 * read. `answer` decides what each read gets (the bytes it asked for by
 * default); only what backupIn() uses is there.
 */
function memoryDestination(
  bytes: Buffer,
  answer: (range: ByteRange | undefined, asked: number) => Readable = (range) =>
    Readable.from([bytes.subarray(range?.start ?? 0, (range?.end ?? bytes.length - 1) + 1)]),
) {
  const reads: (ByteRange | undefined)[] = []
  const destination = {
    kind: 'folder',
    label: '/backups',
    locate: (name: string) => `/backups/${name}`,
    stat: async () => ({ size: bytes.length }),
    read: async (_name: string, range?: ByteRange) => {
      reads.push(range)
      return answer(range, reads.length)
    },
  }
  // The engine's other calls are never made by a read.
  return { destination: destination as unknown as Destination, reads }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(part as Buffer)
  return Buffer.concat(parts)
}

const noWait = { sleep: async () => undefined }

describe('reading a backup from a destination', () => {
  it('asks for the whole backup without a range (a ranged GET costs some S3 servers a second)', async () => {
    const bytes = Buffer.from('x'.repeat(1000))
    const { destination, reads } = memoryDestination(bytes)
    expect(await readAll(await backupIn(destination, NAME).read())).toEqual(bytes)
    expect(reads).toEqual([undefined])
  })

  it('asks for a range when only part is wanted', async () => {
    const bytes = Buffer.from('0123456789')
    const { destination, reads } = memoryDestination(bytes)
    const part = await readAll(await backupIn(destination, NAME).read({ start: 2, end: 5 }))
    expect(part.toString()).toBe('2345')
    expect(reads).toEqual([{ start: 2, end: 5 }])
  })

  it('goes on from the first byte it has not passed on after a lost connection, with a range', async () => {
    const bytes = Buffer.from('abcdefghijklmnopqrstuvwxyz')
    const { destination, reads } = memoryDestination(bytes, (range, asked) => {
      const from = range?.start ?? 0
      if (asked > 1) return Readable.from([bytes.subarray(from)])
      // The first answer breaks off after 10 bytes, as a dropped link does.
      return new Readable({
        read() {
          this.push(bytes.subarray(0, 10))
          this.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
        },
      })
    })
    const all = await readAll(await backupIn(destination, NAME, noWait).read())
    expect(all).toEqual(bytes)
    expect(reads).toEqual([undefined, { start: 10, end: bytes.length - 1 }])
  })

  it('refuses a backup that grew since its size was read (replaced meanwhile), without passing on the extra bytes', async () => {
    const bytes = Buffer.from('0123456789')
    const { destination } = memoryDestination(bytes, () =>
      Readable.from([Buffer.from('0123456789ABCDEF')]),
    )
    const stream = await backupIn(destination, NAME, noWait).read()
    const passed: Buffer[] = []
    const failure = await (async () => {
      for await (const part of stream) passed.push(part as Buffer)
    })().catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(CairnError)
    expect((failure as CairnError).code).toBe('BACKUP_CHANGED_DURING')
    expect((failure as Error).message).toMatch(
      /Backup destination \/backups: .* was replaced meanwhile/,
    )
    expect(Buffer.concat(passed).length).toBe(0)
  })
})
