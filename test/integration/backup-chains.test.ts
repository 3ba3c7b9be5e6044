import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generateBackupKey } from '../../main/backup/key/backup-key'
import { readSidecar } from '../../main/backup/destination/sidecar'
import { restoreBackup } from '../../main/backup/restore/restore'
import { verifyBackup } from '../../main/backup/verify'
import { FolderDestination } from '../../main/backup/destination/folder/folder-destination'
import { deleteHistoryEntry, listHistory } from '../../main/backup/manager/history'
import {
  addMail,
  backUpAt,
  deleteSome,
  flagSome,
  profileState,
  restoreTarget,
  vacuum,
} from '../support/chain-world'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

const day = (n: number) => new Date(Date.UTC(2026, 10, 2, 3, 0, n))

describe('backup chains', () => {
  it('makes a full backup then incrementals, and restores every link to the profile as it was', async () => {
    const profile = await makeProfile({ messages: 60 })
    const key = generateBackupKey()
    const dest = tempDir()
    const changes = [
      async () => undefined,
      () => addMail(profile.dir, 6),
      () => flagSome(profile.dir, 7),
      () => deleteSome(profile.dir, 5),
      async () => {
        await addMail(profile.dir, 3)
        await flagSome(profile.dir, 5, 1)
      },
    ]
    const results = []
    const states = []
    for (const [i, change] of changes.entries()) {
      await change()
      states.push(profileState(profile.dir))
      results.push(await backUpAt(profile, key, dest, day(i)))
    }
    expect(results.map((r) => r.kind)).toEqual([
      'full',
      'incremental',
      'incremental',
      'incremental',
      'incremental',
    ])
    expect(results.map((r) => r.chainIndex)).toEqual([0, 1, 2, 3, 4])
    expect(new Set(results.map((r) => r.chainId)).size).toBe(1)
    const full = results[0]!
    for (const r of results.slice(1)) {
      expect(r.base).toBe(full.name)
      // An incremental carries the changes, not the profile.
      expect(r.size).toBeLessThan(full.size / 2)
    }
    // The sidecar says what it is, without the key.
    const sidecar = readSidecar(join(dest, `${results[3]!.name}.json`))
    expect(sidecar).toMatchObject({
      kind: 'incremental',
      chainId: full.chainId,
      chainIndex: 3,
      base: full.name,
      parent: results[2]!.name,
      parentSha256: results[2]!.sha256,
      profileId: profile.id,
    })

    for (const [i, result] of results.entries()) {
      const target = restoreTarget()
      const restored = await restoreBackup({
        file: result.path,
        key,
        profileDir: target,
        confirm: ['older-than-newest-backup'],
      })
      expect(restored.summary.backup.messages, `link ${i}`).toBe(states[i]!.count)
      expect(profileState(target), `link ${i}`).toEqual(states[i])
      // With the key, verify assembles and checks the chain too.
      const report = await verifyBackup(result.path, key)
      expect(report.level).toBe('full')
      expect(report.messages).toBe(states[i]!.count)
    }
  })

  it('starts a new full backup after a VACUUM, and both chains restore', async () => {
    const profile = await makeProfile({ messages: 40 })
    const key = generateBackupKey()
    const dest = tempDir()
    const first = await backUpAt(profile, key, dest, day(0))
    await addMail(profile.dir, 4)
    const second = await backUpAt(profile, key, dest, day(1))
    await deleteSome(profile.dir, 10)
    vacuum(profile.dir)
    const state = profileState(profile.dir)
    const third = await backUpAt(profile, key, dest, day(2))
    expect([first.kind, second.kind, third.kind]).toEqual(['full', 'incremental', 'full'])
    expect(third.fullReason).toMatch(/shrank|schema/)
    expect(third.chainId).not.toBe(first.chainId)
    await addMail(profile.dir, 2)
    const fourth = await backUpAt(profile, key, dest, day(3))
    expect(fourth).toMatchObject({ kind: 'incremental', chainId: third.chainId, chainIndex: 1 })
    const target = restoreTarget()
    await restoreBackup({
      file: third.path,
      key,
      profileDir: target,
      confirm: ['older-than-newest-backup'],
    })
    expect(profileState(target)).toEqual(state)
    const target2 = restoreTarget()
    await restoreBackup({ file: fourth.path, key, profileDir: target2 })
    expect(profileState(target2)).toEqual(profileState(profile.dir))
    expect(readdirSync(dest).filter((n) => n.endsWith('.age'))).toHaveLength(4)
  })

  it('the history shows each backup’s kind and place in its chain, and refuses to delete a link later ones need', async () => {
    const profile = await makeProfile({ messages: 20 })
    const key = generateBackupKey()
    const dest = tempDir()
    const a = await backUpAt(profile, key, dest, day(0))
    await addMail(profile.dir, 2)
    const b = await backUpAt(profile, key, dest, day(1))
    await addMail(profile.dir, 2)
    const c = await backUpAt(profile, key, dest, day(2))
    const destination = new FolderDestination(dest)
    const history = await listHistory(destination, dest, {
      id: profile.id,
      fingerprint: key.fingerprint,
    })
    expect(history.map((h) => [h.name, h.kind, h.chainIndex, h.neededBy])).toEqual([
      [c.name, 'incremental', 2, []],
      [b.name, 'incremental', 1, [c.name]],
      [a.name, 'full', 0, [b.name, c.name]],
    ])
    await expect(deleteHistoryEntry(destination, a.name)).rejects.toThrow(
      /link of a backup chain that 2 later backup\(s\) need/,
    )
    expect(readdirSync(dest)).toContain(a.name)
    // The newest link can go; then its parent.
    await deleteHistoryEntry(destination, c.name)
    await deleteHistoryEntry(destination, b.name)
    expect(readdirSync(dest).filter((n) => n.endsWith('.age'))).toEqual([a.name])
  })
})
