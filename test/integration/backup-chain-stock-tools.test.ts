/**
 * A backup chain recovered with stock tools alone, with exactly the
 * commands the recovery sheet prints (and docs/backup.md gives): age, zstd,
 * tar and a POSIX sh loop that writes each changed block with dd.
 */
import Database from 'better-sqlite3'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generateBackupKey } from '../../main/backup/key/backup-key'
import { recoverySheet } from '../../main/backup/key/recovery-sheet'
import { addMail, backUpAt, deleteSome, flagSome, profileState } from '../support/chain-world'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

function sheetCommands(text: string): string {
  const lines = text.split('\n')
  const start = lines.findIndex((l) => l.startsWith('in a terminal, in the folder that holds'))
  const end = lines.findIndex((l, i) => i > start && l.startsWith('Your mail is then in'))
  return lines
    .slice(start + 1, end)
    .map((l) => l.replace(/^ {2}/, ''))
    .join('\n')
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

describe('a backup chain with stock tools', () => {
  it('the sheet’s sh loop (age | zstd | tar, then dd seek=N conv=notrunc per block) gives the files of the last manifest', async () => {
    const profile = await makeProfile({ messages: 50 })
    const key = generateBackupKey()
    const folder = tempDir()
    const at = (n: number) => new Date(Date.UTC(2026, 4, 1, 8, n))
    // An older chain first, so the loop must find the newest full backup.
    await backUpAt(profile, key, folder, at(0))
    await addMail(profile.dir, 2)
    await backUpAt(profile, key, folder, at(1))
    const full = await backUpAt(profile, key, folder, at(2), { full: true })
    expect(full.kind).toBe('full')
    await addMail(profile.dir, 5)
    const a = await backUpAt(profile, key, folder, at(3))
    await flagSome(profile.dir, 4)
    await deleteSome(profile.dir, 6)
    const b = await backUpAt(profile, key, folder, at(4))
    await addMail(profile.dir, 3)
    const c = await backUpAt(profile, key, folder, at(5))
    expect([a.kind, b.kind, c.kind]).toEqual(['incremental', 'incremental', 'incremental'])
    expect(c.chainId).toBe(full.chainId)
    const state = profileState(profile.dir)

    const script = sheetCommands(recoverySheet(key, { createdAt: new Date() }).text)
    expect(script).toMatch(/dd if=.* bs=4096 seek="\$n" conv=notrunc/)
    execFileSync('sh', ['-e', '-c', script], { cwd: folder, stdio: 'pipe' })

    const restored = join(folder, 'restored')
    const manifest = JSON.parse(readFileSync(join(restored, 'cairn-manifest.json'), 'utf8')) as {
      createdAt: string
      files: { path: string; sha256: string; size: number }[]
    }
    expect(manifest.createdAt).toBe(c.createdAt)
    for (const file of manifest.files) {
      if (file.path === 'cairn-secrets.json') continue
      expect(sha256(join(restored, file.path)), file.path).toBe(file.sha256)
    }
    // Nothing more than the manifest lists (removed files were removed).
    const listed = new Set(manifest.files.map((f) => f.path))
    const present = readdirSync(restored, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(restored.length + 1))
      .filter((p) => p !== 'cairn-manifest.json')
    expect(present.filter((p) => !listed.has(p))).toEqual([])
    const db = new Database(join(restored, 'mail.sqlite'), { readonly: true })
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    db.close()
    expect(profileState(restored)).toEqual(state)
  })
})
