import Database from 'better-sqlite3'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { integrityCheck } from '../../main/backup/restore/check-database'
import { damageTableRoot } from '../support/sqlite-damage'
import { tempDir } from '../support/temp'

/**
 * A database whose two indexes were swapped behind SQLite's back: every
 * b-tree is sound, but neither index matches its table (the kind of damage
 * only integrity_check's index-by-table comparison sees).
 */
function swappedIndexes(): string {
  const path = join(tempDir(), 'swapped.sqlite')
  const db = new Database(path)
  db.exec('CREATE TABLE t (a INTEGER, b TEXT); CREATE INDEX ta ON t (a); CREATE INDEX tb ON t (b);')
  const insert = db.prepare('INSERT INTO t VALUES (?, ?)')
  for (let i = 0; i < 500; i++) insert.run(i, `x${1000 - i}`)
  const root = db.prepare('SELECT rootpage FROM sqlite_schema WHERE name = ?').pluck()
  const [ta, tb] = [root.get('ta'), root.get('tb')]
  db.unsafeMode(true)
  db.pragma('writable_schema = ON')
  db.prepare('UPDATE sqlite_schema SET rootpage = ? WHERE name = ?').run(tb, 'ta')
  db.prepare('UPDATE sqlite_schema SET rootpage = ? WHERE name = ?').run(ta, 'tb')
  db.close()
  return path
}

describe('how deeply a database is checked', () => {
  it('verify (full) finds indexes that disagree with their table; restore (structure) checks only the b-trees', async () => {
    const path = swappedIndexes()
    expect(await integrityCheck(path, 'full')).toMatch(/missing from index/)
    expect(await integrityCheck(path, 'structure')).toBe('ok')
  })

  it('both find a damaged b-tree page, and a file that is not a database', async () => {
    const path = join(tempDir(), 'damaged.sqlite')
    const db = new Database(path)
    db.exec('CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)')
    const insert = db.prepare('INSERT INTO t (b) VALUES (?)')
    for (let i = 0; i < 2000; i++) insert.run('y'.repeat(200))
    db.close()
    damageTableRoot(path, 't')
    expect(await integrityCheck(path, 'structure')).not.toBe('ok')
    expect(await integrityCheck(path, 'full')).not.toBe('ok')
    const junk = join(tempDir(), 'junk.sqlite')
    writeFileSync(junk, 'not a database at all, but long enough to have a header'.repeat(100))
    expect(await integrityCheck(junk, 'structure')).toMatch(/not a database/)
  })
})
