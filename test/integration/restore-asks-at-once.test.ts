/**
 * A restore asks a remote destination for the backup's size, its sidecar
 * and the backups beside it at once, and each only once: every answer is a
 * round trip, and asked one after another (the sidecar twice) they all
 * came before the first byte of the backup.
 */
import { describe, expect, it } from 'vitest'
import type { BackupSource } from '../../main/backup/destination/backup-source'
import { localBackupFile } from '../../main/backup/destination/folder/local-file'
import { generateBackupKey } from '../../main/backup/key/backup-key'
import { restoreBackup } from '../../main/backup/restore/restore'
import { backUp } from '../support/backup-fixtures'
import { restoreTarget } from '../support/chain-world'
import { makeProfile } from '../support/profiles'

const ROUND_TRIP_MS = 150

/** The backup file, its questions answered after a round trip; records what was asked while another question was out. */
function distantSource(file: string) {
  const near = localBackupFile(file)
  let out = 0
  const asked: { what: string; alongside: number }[] = []
  const later =
    <T>(what: string, answer: () => Promise<T>) =>
    async (): Promise<T> => {
      asked.push({ what, alongside: out })
      out += 1
      try {
        await new Promise((resolve) => setTimeout(resolve, ROUND_TRIP_MS))
        return await answer()
      } finally {
        out -= 1
      }
    }
  const source: BackupSource = {
    location: near.location,
    name: near.name,
    stat: later('stat', () => near.stat()),
    readSidecar: later('sidecar', () => near.readSidecar()),
    siblings: later('siblings', () => near.siblings()),
    read: (range) => near.read(range),
    sibling: (name) => near.sibling(name),
    close: () => near.close(),
  }
  return { source, asked }
}

describe('restore from a distant destination', () => {
  it('asks for the size, the sidecar and the other backups once each, in one round trip', async () => {
    const profile = await makeProfile({ messages: 5 })
    const key = generateBackupKey()
    const backup = await backUp(profile, key)
    const { source, asked } = distantSource(backup.path)
    await restoreBackup({ file: backup.path, source, key, profileDir: restoreTarget() })
    expect(asked.map((a) => a.what).sort()).toEqual(['siblings', 'sidecar', 'stat'])
    // The first question went out alone, the other two while it was out.
    expect(asked.map((a) => a.alongside).sort()).toEqual([0, 1, 2])
  })
})
