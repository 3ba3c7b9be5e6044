import { describe, expect, it } from 'vitest'
import { backupName } from '../../main/backup/destination/names'
import { backupsToDelete, type RetainedBackup } from '../../main/backup/destination/retention'
import type { Sidecar } from '../../main/backup/destination/sidecar'

/** A chain of `links` daily backups starting on `day` (link 0 full). */
function chain(id: string, day: number, links: number): RetainedBackup[] {
  const out: RetainedBackup[] = []
  for (let i = 0; i < links; i++) {
    const createdAt = new Date(Date.UTC(2026, 9, day + i, 2))
    const name = backupName(createdAt)
    const parent = out[i - 1]
    const sidecar: Sidecar = {
      format: 'cairn-backup-sidecar',
      formatVersion: 1,
      file: name,
      createdAt: createdAt.toISOString(),
      appVersion: '1',
      schemaVersion: 1,
      profileId: 'me',
      size: 100,
      sha256: String(i).padStart(64, id),
      keyFingerprint: 'f',
      recipient: 'age1x',
      vaultId: null,
      kind: i === 0 ? 'full' : 'incremental',
      chainId: id.repeat(32),
      chainIndex: i,
      base: out[0]?.name ?? null,
      parent: parent?.name ?? null,
      parentSha256: parent?.sidecar?.sha256 ?? null,
    }
    out.push({ name, createdAt, size: 100, sidecar })
  }
  return out
}

describe('retention on chains', () => {
  it('never deletes a link that a kept backup needs, and says which it kept for which', () => {
    const old = chain('a', 1, 7)
    const current = chain('b', 8, 4)
    const held: [string, string][] = []
    const doomed = backupsToDelete(
      [...old, ...current],
      'me',
      { keepLast: 1, daily: 0, weekly: 0, monthly: 0 },
      new Date(Date.UTC(2026, 9, 20)),
      (name, by) => held.push([name, by]),
    )
    // The newest link (b3) is kept, so b0, b1, b2 are kept with it; the older chain goes whole.
    expect(doomed.map((e) => e.name).sort()).toEqual(old.map((e) => e.name).sort())
    expect(held).toEqual(
      [current[2]!, current[1]!, current[0]!].map((e) => [e.name, current[3]!.name]),
    )
  })

  it('keeps a whole older chain when a kept daily backup is a link in the middle of it', () => {
    const old = chain('a', 1, 7)
    const current = chain('b', 8, 2)
    const doomed = backupsToDelete(
      [...old, ...current],
      'me',
      // The newest of the last 5 days reach back into the first chain (Oct 7 = its link 6).
      { keepLast: 1, daily: 3, weekly: 0, monthly: 0 },
      new Date(Date.UTC(2026, 9, 20)),
    )
    expect(doomed).toEqual([])
  })

  // Sidecars sit on the destination, where anyone who can write may edit them: what they say
  // of chains may make retention keep more, never delete what a kept link needs.
  const keepNewest = { keepLast: 1, daily: 0, weekly: 0, monthly: 0 }
  const later = new Date(Date.UTC(2026, 9, 20))
  const doomedNames = (entries: RetainedBackup[], protect: string[] = []) =>
    backupsToDelete(entries, 'me', keepNewest, later, undefined, protect).map((e) => e.name)
  const edit = (entry: RetainedBackup, change: Partial<Sidecar> | null): RetainedBackup => ({
    ...entry,
    sidecar: change === null ? null : ({ ...entry.sidecar, ...change } as Sidecar),
  })

  it('a link in between without its sidecar still holds the full backup before it', () => {
    const [a0, a1, a2, a3] = chain('a', 1, 4) as [RetainedBackup, ...RetainedBackup[]]
    // a1's sidecar is lost (or unreadable): it cannot say its parent, a0.
    expect(doomedNames([a0, edit(a1!, null), a2!, a3!])).toEqual([])
  })

  it('a link whose sidecar names another chain or another profile is still followed', () => {
    const [a0, a1, a2, a3] = chain('a', 1, 4) as [RetainedBackup, ...RetainedBackup[]]
    expect(doomedNames([a0, a1!, edit(a2!, { chainId: 'c'.repeat(32) }), a3!])).toEqual([])
    expect(doomedNames([a0, edit(a1!, { profileId: 'other' }), a2!, a3!])).toEqual([])
  })

  it('a link whose sidecar claims to be a full backup does not let the real full one go', () => {
    const [a0, a1, a2, a3] = chain('a', 1, 4) as [RetainedBackup, ...RetainedBackup[]]
    expect(doomedNames([a0, a1!, edit(a2!, { kind: 'full', parent: null }), a3!])).toEqual([])
  })

  it('sidecars whose parents go round in a circle do not keep retention going forever', () => {
    const [a0, a1, a2, a3] = chain('a', 1, 4) as [RetainedBackup, ...RetainedBackup[]]
    // a2 names a3 as its parent, a3 names a2: followed naively, the walk never ends.
    const looped = [a0, a1!, edit(a2!, { parent: a3!.name }), a3!]
    expect(doomedNames(looped)).toEqual([])
  })

  it('the backup just made and its earlier links are kept whatever the sidecars say', () => {
    const real = chain('a', 1, 4)
    const newest = real[3] as RetainedBackup
    // A planted "backup" of this profile, later in the same second, pushes the real newest out
    // of the last 1; the real links' sidecars were edited to say each is a full backup.
    const plantedName = newest.name.replace('.tar.zst.age', '-1.tar.zst.age')
    const planted = edit(
      { ...newest, name: plantedName },
      { file: plantedName, kind: 'full', parent: null, base: null },
    )
    const forged = real.map((e) => edit(e, { kind: 'full', parent: null, base: null }))
    const protect = [newest.name, ...real.slice(0, 3).map((e) => e.name)]
    expect(doomedNames([...forged, planted], protect)).toEqual([])
    // Without what the run knows, the sidecars decide (what `protect` is for).
    expect(doomedNames([...forged, planted]).sort()).toEqual(real.map((e) => e.name).sort())
  })
})
