import Database from 'better-sqlite3'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SCHEMA_VERSION } from '../../main/mail/db/migrations'
import { describe, expect, it } from 'vitest'
import { generateBackupKey, formatKeyAge } from '../../main/backup/key/backup-key'
import { localBackupFile } from '../../main/backup/destination/folder/local-file'
import { unpackBackup } from '../../main/backup/restore/unpack'
import { readSidecar } from '../../main/backup/destination/sidecar'
import { backUp } from '../support/backup-fixtures'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

describe('backup file', () => {
  it('is recovered with standard tools alone: age -d | zstd -d | tar -x', async () => {
    const profile = await makeProfile({ messages: 30 })
    const key = generateBackupKey()
    const dest = tempDir()
    const result = await backUp(profile, key, dest)
    expect(result.name).toMatch(/^cairn-backup-\d{8}T\d{6}Z\.tar\.zst\.age$/)
    expect(readdirSync(dest).sort()).toEqual([result.name, `${result.name}.json`])

    const keyFile = join(tempDir(), 'key.txt')
    writeFileSync(keyFile, `${formatKeyAge(key.secret)}\n`)
    const out = tempDir()
    execFileSync('bash', [
      '-c',
      `age -d -i "${keyFile}" "${result.path}" | zstd -d | tar -x -C "${out}"`,
    ])

    const manifest = JSON.parse(readFileSync(join(out, 'cairn-manifest.json'), 'utf8'))
    expect(manifest).toMatchObject({
      format: 'cairn-backup',
      formatVersion: 1,
      profileId: profile.id,
      schemaVersion: SCHEMA_VERSION,
    })
    for (const file of manifest.files)
      expect(sha256(join(out, file.path)), file.path).toBe(file.sha256)
    expect(manifest.files.map((f: { path: string }) => f.path)).toContain('settings.json')
    expect(manifest.files.some((f: { path: string }) => f.path.startsWith('attachments/'))).toBe(
      true,
    )
    expect(manifest.files.map((f: { path: string }) => f.path)).not.toContain('cairn.lock')

    const db = new Database(join(out, 'mail.sqlite'), { readonly: true })
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    expect(db.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 30 })
    db.close()

    const sidecar = readSidecar(join(dest, `${result.name}.json`))
    expect(sidecar).toMatchObject({
      size: result.size,
      sha256: sha256(result.path),
      keyFingerprint: key.fingerprint,
      profileId: profile.id,
    })
  })

  it('is read back by Cairn, checking every file against the manifest', async () => {
    const profile = await makeProfile({ messages: 12 })
    const key = generateBackupKey()
    const dest = tempDir()
    const result = await backUp(profile, key, dest)
    const target = join(tempDir(), 'unpacked')
    mkdirSync(target)
    const manifest = await unpackBackup({
      source: localBackupFile(result.path),
      key,
      targetDir: target,
      databaseCheck: 'full',
    })
    expect(manifest.files.length).toBe(result.files)
    for (const file of manifest.files) expect(sha256(join(target, file.path))).toBe(file.sha256)
  })

  it('decrypts a file made by the age CLI (interoperability both ways)', async () => {
    const key = generateBackupKey()
    const dir = tempDir()
    const tarball = join(dir, 'x.tar.zst.age')
    mkdirSync(join(dir, 'src'))
    writeFileSync(join(dir, 'src', 'hello.txt'), 'hello')
    // A tar made by GNU tar, not Cairn: Cairn's reader refuses it (no manifest first), after decrypting fine.
    execFileSync('bash', [
      '-c',
      `tar -c -C "${dir}/src" hello.txt | zstd -q | age -r ${key.recipient} > "${tarball}"`,
    ])
    const target = join(dir, 'out')
    mkdirSync(target)
    await expect(
      unpackBackup({
        source: localBackupFile(tarball),
        key,
        targetDir: target,
        databaseCheck: 'full',
      }),
    ).rejects.toThrow(/first entry is not the Cairn manifest/)
  })
})
