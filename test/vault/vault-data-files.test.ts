import Database from 'better-sqlite3'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { fastClient } from '../support/vault-client'
import { startVaultNode } from '../support/vault'

// Issue 8, point 6: a development vault's files are readable by its own user only.

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8)

beforeAll(() => {
  // What a user's shell usually has: without care, new files would be 0644.
  process.umask(0o022)
})

describe("the vault's data files", () => {
  it('a development vault makes its folder 0700, and its database (with -wal and -shm) and sealing key 0600', async () => {
    const data = join(mkdtempSync(join(tmpdir(), 'cairn-vault-files-')), 'vault-data')
    const node = await startVaultNode({
      CAIRN_VAULT_DATABASE: `sqlite:${join(data, 'vault.sqlite')}`,
      CAIRN_VAULT_DEV_KEY_FILE: join(data, 'dev-seal.key'),
    })
    try {
      await fastClient(node.url).register('pw', randomBytes(32))
      expect(modeOf(data)).toBe('700')
      for (const file of ['vault.sqlite', 'vault.sqlite-wal', 'vault.sqlite-shm', 'dev-seal.key'])
        expect(modeOf(join(data, file)), file).toBe('600')
    } finally {
      await node.stop()
    }
  })

  it('tightens files an older vault left readable, and warns about a folder open to others that it did not make', async () => {
    const data = mkdtempSync(join(tmpdir(), 'cairn-vault-old-'))
    chmodSync(data, 0o755)
    const file = join(data, 'vault.sqlite')
    const old = new Database(file) // as an older vault left it: 0644, WAL files present
    old.pragma('journal_mode = WAL')
    old.exec('CREATE TABLE t (x)')
    writeFileSync(join(data, 'dev-seal.key'), randomBytes(32), { mode: 0o644 })
    expect(modeOf(file)).toBe('644')
    expect(modeOf(`${file}-wal`)).toBe('644')
    const node = await startVaultNode({
      CAIRN_VAULT_DATABASE: `sqlite:${file}`,
      CAIRN_VAULT_DEV_KEY_FILE: join(data, 'dev-seal.key'),
    })
    try {
      for (const name of ['vault.sqlite', 'vault.sqlite-wal', 'vault.sqlite-shm', 'dev-seal.key'])
        expect(modeOf(join(data, name)), name).toBe('600')
      expect(modeOf(data)).toBe('755') // not the vault's to change (it could be a shared folder)
      expect(node.logs()).toMatch(
        /data folder .* is open to other users \(mode 755\); make it 0700/,
      )
    } finally {
      old.close()
      await node.stop()
    }
  })

  it('the default data folder is ignored by git', () => {
    const root = join(import.meta.dirname, '..', '..')
    for (const path of ['vault-data/dev-seal.key', 'vault-data/vault.sqlite-wal'])
      expect(() => execFileSync('git', ['check-ignore', '-q', path], { cwd: root })).not.toThrow()
  })
})
