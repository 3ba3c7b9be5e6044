import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Destination } from '../../main/backup/destination/destination'
import { backupName, hostTag, partialName, sidecarName } from '../../main/backup/destination/names'
import type { Sidecar } from '../../main/backup/destination/sidecar'
import { isCairnError } from '../../main/shared/errors'
import { deadPid } from './dead-pid'

/** What a contract test needs beside the Destination: the storage seen as another program sees it. */
export interface DestinationHarness {
  destination: Destination
  /** Put `data` under `name` directly, as another program (or a crashed writer) would. */
  rawPut(name: string, data: Buffer): Promise<void>
  rawGet(name: string): Promise<Buffer | null>
  /** Every name in the destination folder, temporary ones included. */
  rawNames(): Promise<string[]>
  /** A folder (or prefix) with a backup-like name, which is not a backup. */
  rawFolder(name: string): Promise<void>
  dispose(): Promise<void>
}

export function sidecarFor(data: Buffer, overrides: Partial<Sidecar> = {}): Sidecar {
  return {
    format: 'cairn-backup-sidecar',
    formatVersion: 1,
    file: '',
    createdAt: new Date().toISOString(),
    appVersion: '0.1.0',
    schemaVersion: 2,
    profileId: '6f1c1f7e-9a8e-4a55-9f0a-000000000001',
    size: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    keyFingerprint: 'test-fingerprint',
    recipient: 'age1test',
    vaultId: null,
    ...overrides,
  }
}

export async function writeBackup(
  destination: Destination,
  createdAt: Date,
  data: Buffer,
): Promise<string> {
  const upload = await destination.startBackup(createdAt)
  try {
    await pipeline(Readable.from(chunks(data)), upload.stream)
  } catch (error) {
    await upload.abort()
    throw error
  }
  return (await upload.commit(sidecarFor(data))).name
}

function* chunks(data: Buffer, size = 256 * 1024): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size)
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(part as Buffer)
  return Buffer.concat(parts)
}

const tempLeftovers = (names: string[]) => names.filter((n) => /\.partial(\.json)?$/.test(n))

/**
 * The Destination contract, one suite run against every implementation:
 * what the backup engine relies on, whatever the storage.
 */
export function describeDestinationContract(
  kind: string,
  setup: () => Promise<DestinationHarness>,
  options: { payloadBytes?: number } = {},
): void {
  describe(`Destination contract: ${kind}`, () => {
    let h: DestinationHarness
    let seconds = 0
    // Every test its own second, so names never meet by accident.
    const nextTime = () => new Date(Date.UTC(2026, 10, 27, 5, 0, seconds++))
    const payload = randomBytes(options.payloadBytes ?? 12 * 1024 * 1024 + 12345)

    beforeAll(async () => {
      h = await setup()
    })
    afterAll(async () => {
      await h?.dispose()
    })

    it('passes its own connection test', async () => {
      const report = await h.destination.test()
      expect(report.checks).toContain('wrote a test file')
      expect((await h.rawNames()).filter((n) => n.startsWith('cairn-test-'))).toEqual([])
    })

    it('writes, commits, lists, reads (whole and in ranges) and removes a backup', async () => {
      const createdAt = nextTime()
      const name = await writeBackup(h.destination, createdAt, payload)
      expect(name).toBe(backupName(createdAt))
      expect(tempLeftovers(await h.rawNames())).toEqual([])

      const listed = (await h.destination.list()).find((b) => b.name === name)
      expect(listed).toMatchObject({ size: payload.length, complete: true, createdAt })
      expect(listed?.sidecar?.file).toBe(name)
      expect(await h.destination.readSidecar(name)).toMatchObject({
        file: name,
        size: payload.length,
      })
      expect(await h.destination.stat(name)).toEqual({ size: payload.length })

      expect((await readAll(await h.destination.read(name))).equals(payload)).toBe(true)
      const middle = await readAll(await h.destination.read(name, { start: 1000, end: 70_000 }))
      expect(middle.equals(payload.subarray(1000, 70_001))).toBe(true)
      const tail = await readAll(await h.destination.read(name, { start: payload.length - 10 }))
      expect(tail.equals(payload.subarray(payload.length - 10))).toBe(true)
      // The stock view: the committed bytes are exactly what was sent.
      expect((await h.rawGet(name))?.equals(payload)).toBe(true)

      await h.destination.remove(name)
      expect(await h.destination.stat(name)).toBeNull()
      const names = await h.rawNames()
      expect(names).not.toContain(name)
      expect(names).not.toContain(sidecarName(name))
    })

    it('never replaces a file that has the name: it moves on to -1, -2', async () => {
      const createdAt = nextTime()
      const theirs = Buffer.from('not Cairn’s, must survive')
      await h.rawPut(backupName(createdAt), theirs)
      // An orphaned sidecar keeps its name taken too.
      await h.rawPut(sidecarName(backupName(createdAt, 1)), Buffer.from('{}'))
      const first = await writeBackup(h.destination, createdAt, payload.subarray(0, 100_000))
      expect(first).toBe(backupName(createdAt, 2))
      const second = await writeBackup(h.destination, createdAt, payload.subarray(0, 50_000))
      expect(second).toBe(backupName(createdAt, 3))
      expect((await h.rawGet(backupName(createdAt)))?.equals(theirs)).toBe(true)
      expect((await readAll(await h.destination.read(second))).length).toBe(50_000)
    })

    it('lists only complete Cairn backups as complete, ignoring others’ files and half-written ones', async () => {
      const t = nextTime()
      const good = await writeBackup(h.destination, t, payload.subarray(0, 4096))
      const truncated = backupName(nextTime())
      await h.rawPut(truncated, Buffer.alloc(10))
      await h.rawPut(
        sidecarName(truncated),
        Buffer.from(JSON.stringify(sidecarFor(Buffer.alloc(99), { file: truncated }))),
      )
      const garbage = backupName(nextTime())
      await h.rawPut(garbage, Buffer.alloc(20))
      await h.rawPut(sidecarName(garbage), Buffer.from('{ not json'))
      const misdescribed = backupName(nextTime())
      await h.rawPut(misdescribed, Buffer.alloc(30))
      await h.rawPut(
        sidecarName(misdescribed),
        Buffer.from(
          JSON.stringify(
            sidecarFor(Buffer.alloc(30), { file: 'cairn-backup-20000101T000000Z.tar.zst.age' }),
          ),
        ),
      )
      const live = partialName(backupName(nextTime())) // this process: alive, but no writer of ours
      await h.rawPut(live, Buffer.alloc(40))
      await h.rawPut('notes.txt', Buffer.from('someone else’s'))
      await h.rawPut('cairn-backup-2026.tar.zst.age', Buffer.alloc(1))
      await h.rawPut(`${backupName(nextTime())}.tmp`, Buffer.alloc(1))
      await h.rawFolder(backupName(nextTime()))

      const listed = await h.destination.list()
      const byName = new Map(listed.map((b) => [b.name, b]))
      expect(byName.get(good)?.complete).toBe(true)
      expect(byName.get(truncated)).toMatchObject({ complete: false, size: 10 })
      expect(byName.get(garbage)).toMatchObject({ complete: false, sidecar: null })
      expect(byName.get(misdescribed)).toMatchObject({ complete: false, sidecar: null })
      for (const b of listed)
        expect(b.name).toMatch(/^cairn-backup-\d{8}T\d{6}Z(-\d+)?\.tar\.zst\.age$/)
      expect(listed.some((b) => b.name.includes('partial'))).toBe(false)
      await h.destination.remove(truncated)
      await h.destination.remove(garbage)
      await h.destination.remove(misdescribed)
      expect((await h.rawGet('notes.txt'))?.toString()).toBe('someone else’s')
    })

    it('refuses hostile and foreign names for reading and removing', async () => {
      for (const name of [
        '../etc/passwd',
        'notes.txt',
        'cairn-backup-20261127T050000Z.tar.zst.age/../../x',
        `${backupName(nextTime())}\n`,
        '',
        '..',
      ]) {
        await expect(h.destination.read(name), JSON.stringify(name)).rejects.toSatisfy((e) =>
          isCairnError(e, 'DESTINATION_INVALID'),
        )
        await expect(h.destination.remove(name)).rejects.toSatisfy((e) =>
          isCairnError(e, 'DESTINATION_INVALID'),
        )
      }
      expect((await h.rawGet('notes.txt'))?.toString()).toBe('someone else’s')
    })

    it('ignores hostile names in a listing', async () => {
      for (const name of [
        'we ird %2F name.tar.zst.age',
        'ünïcode-cairn-backup.json',
        'cairn-backup-%0A.tar.zst.age',
      ])
        await h.rawPut(name, Buffer.from('x'))
      const listed = await h.destination.list()
      expect(listed.every((b) => !/[ %ü]/.test(b.name))).toBe(true)
    })

    it('leaves nothing behind when an upload is aborted or its source fails', async () => {
      const times = [nextTime(), nextTime()]
      const upload = await h.destination.startBackup(times[0] as Date)
      upload.stream.write(payload.subarray(0, 1 << 20))
      await upload.abort()
      const failing = await h.destination.startBackup(times[1] as Date)
      const source = new Readable({
        read() {
          this.push(payload.subarray(0, 6 << 20))
          this.destroy(new Error('the archive failed'))
        },
      })
      await expect(pipeline(source, failing.stream)).rejects.toThrow('the archive failed')
      await failing.abort()
      const ours = (await h.rawNames()).filter((n) =>
        times.some((t) => n.startsWith(backupName(t))),
      )
      expect(ours).toEqual([])
    })

    it('cleans up what a crashed writer left, and completes a backup whose sidecar was waiting', async () => {
      const pid = deadPid()
      const crashedTemp = `${backupName(nextTime())}.${pid}-${hostTag()}.partial`
      await h.rawPut(crashedTemp, Buffer.alloc(1234))
      const otherLive = `${backupName(nextTime())}.${process.ppid}-${hostTag()}.partial`
      await h.rawPut(otherLive, Buffer.alloc(10))
      // Crash after the commit, before the real sidecar: data named, sidecar still waiting.
      const t = nextTime()
      const data = payload.subarray(0, 3000)
      await h.rawPut(backupName(t), data)
      const waiting = `${backupName(t)}.${pid}-${hostTag()}.partial.json`
      await h.rawPut(waiting, Buffer.from(JSON.stringify(sidecarFor(data))))

      const report = await h.destination.cleanup()
      expect(report.removed).toEqual(expect.arrayContaining([crashedTemp, waiting]))
      expect(report.completed).toEqual([backupName(t)])
      const names = await h.rawNames()
      expect(names).not.toContain(crashedTemp)
      expect(names).toContain(otherLive)
      const completed = (await h.destination.list()).find((b) => b.name === backupName(t))
      expect(completed).toMatchObject({ complete: true, size: 3000 })
      expect(completed?.sidecar?.file).toBe(backupName(t))
    })
  })
}
