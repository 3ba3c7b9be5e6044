/**
 * The recovery sheet's promises: its stock-tools commands work exactly as
 * printed (copied from the sheet, run by sh in the backup folder, they give
 * back the newest backup's files), and its instructions for Cairn name the
 * screens and controls the app has (the e2e journeys find them by these
 * very names).
 */
import Database from 'better-sqlite3'
import { execFileSync } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BACKUP_LABELS } from '../../common/backup-labels'
import { generateBackupKey } from '../../main/backup/key/backup-key'
import { recoverySheet, recoverySheetContent } from '../../main/backup/key/recovery-sheet'
import { runBackup } from '../../main/backup/run-backup'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

/** The command block of the plain-text sheet, as a person would copy it. */
function commandsOf(text: string): string {
  const lines = text.split('\n')
  const start = lines.findIndex((l) =>
    l.startsWith('in a terminal, in the folder that holds your backups:'),
  )
  const end = lines.findIndex((l, i) => i > start && l.startsWith('Your mail is then in restored/'))
  expect(start).toBeGreaterThan(0)
  expect(end).toBeGreaterThan(start)
  return lines
    .slice(start + 1, end)
    .map((l) => l.replace(/^ {2}/, ''))
    .join('\n')
}

describe('the recovery sheet', () => {
  it('its commands, run as printed in the backup folder, recover the newest backup with age, zstd and tar', async () => {
    const profile = await makeProfile({ messages: 7 })
    const key = generateBackupKey()
    const folder = tempDir()
    for (const day of [1, 2]) {
      await runBackup({
        profileDir: profile.dir,
        destination: folder,
        recipient: key.recipient,
        keyFingerprint: key.fingerprint,
        profileId: profile.id,
        now: () => new Date(Date.UTC(2026, 2, day, 10)),
      })
    }
    const sheet = recoverySheet(key, { createdAt: new Date('2026-03-01T00:00:00Z') })
    const script = commandsOf(sheet.text)
    // mkdir comes before tar -x -C (tar does not make the folder it extracts into).
    expect(script.indexOf('mkdir restored')).toBeGreaterThan(-1)
    expect(script.indexOf('mkdir link')).toBeLessThan(script.indexOf('tar -x -C link'))
    expect(script.indexOf('mkdir restored')).toBeLessThan(script.indexOf('cp -R link/. restored/'))
    execFileSync('sh', ['-e', '-c', script], { cwd: folder, stdio: 'pipe' })

    const restored = join(folder, 'restored')
    const manifest = JSON.parse(readFileSync(join(restored, 'cairn-manifest.json'), 'utf8')) as {
      createdAt: string
    }
    expect(manifest.createdAt).toBe('2026-03-02T10:00:00.000Z') // the newest
    const db = new Database(join(restored, 'mail.sqlite'), { readonly: true })
    expect((db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n).toBe(7)
    db.close()
    // The key file the commands wrote is private.
    expect(statSync(join(folder, 'key.txt')).mode & 0o077).toBe(0)
    // The printable page carries the same commands.
    for (const command of recoverySheetContent(key, { createdAt: new Date() }).commands)
      expect(sheet.html).toContain(
        command.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
      )
  })

  it('tells how to restore in Cairn by the names of the screens and controls the app has', () => {
    const sheet = recoverySheet(generateBackupKey(), {
      createdAt: new Date(),
      vaultId: 'ab'.repeat(16),
      vaultUrl: 'https://vault.example',
    })
    for (const name of [
      BACKUP_LABELS.restoreFromBackup,
      BACKUP_LABELS.settings,
      BACKUP_LABELS.backupsSection,
      BACKUP_LABELS.keyField,
      BACKUP_LABELS.restore,
    ])
      expect(sheet.text).toContain(name)
    expect(sheet.text).toContain('Cairn Backups')
    expect(sheet.text).toContain(`Backup Key Vault record: ${'ab'.repeat(16)}`)
    expect(sheet.text).toContain('Backup Key Vault address: https://vault.example')
  })
})
