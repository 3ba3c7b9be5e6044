import Database from 'better-sqlite3'
import { readFileSync, statfsSync } from 'node:fs'
import { join } from 'node:path'
import { formatBytes } from '../../../common/format.js'
import { migrate } from '../../mail/db/migrate.js'
import { migrations, SCHEMA_VERSION } from '../../mail/db/migrations/index.js'
import { isExcludedFromBackup, profileFiles } from '../../profile/layout.js'
import { settingsSchema, type Settings } from '../../profile/settings.js'
import { CairnError } from '../../shared/errors.js'
import { corrupt } from '../archive/read-archive.js'
import { isReservedArchiveName, type Manifest } from '../archive/manifest.js'
import type { AccountRow } from '../secrets-entry.js'

/**
 * Checks that a backup gives a working profile, shared by restore (before
 * anything is swapped in) and `verify --key-file`. A backup Cairn made
 * always passes them; a crafted or damaged one fails with a message that
 * names what is wrong.
 */

/** On the manifest, before any file is written. */
export function checkManifestGivesProfile(manifest: Manifest): void {
  const paths = manifest.files.map((f) => f.path).filter((p) => !isReservedArchiveName(p))
  if (paths.length === 0) throw corrupt('it holds no profile files (its manifest is empty)')
  const foreign = paths.find((p) => isExcludedFromBackup(p))
  if (foreign) {
    throw corrupt(
      `it contains "${foreign}", which a Cairn backup never holds (a lock, a cache, or a database's -wal/-shm/-journal file)`,
    )
  }
  for (const needed of [profileFiles.database, profileFiles.settings]) {
    if (!paths.includes(needed))
      throw corrupt(`it has no ${needed}, so it would not give a working profile`)
  }
  if (manifest.schemaVersion > SCHEMA_VERSION) throw tooNew(manifest.schemaVersion)
  if (manifest.schemaVersion < 1)
    throw corrupt(`its manifest names mailbox schema ${manifest.schemaVersion}`)
}

/** Refuse, before writing, a backup the disk holding `dir` has no room for. */
export function checkFreeSpace(dir: string, manifest: Manifest): void {
  const needed = manifest.files
    .filter((f) => !isReservedArchiveName(f.path))
    .reduce((sum, f) => sum + f.size, 0)
  // Room for the files, plus a little for folders and the database's journal when it first opens.
  const margin = 1024 * 1024 + Math.ceil(needed / 100)
  let free: number
  try {
    const stats = statfsSync(dir)
    free = Number(stats.bavail) * Number(stats.bsize)
  } catch {
    return // unknown: the write itself will tell
  }
  if (free < needed + margin) {
    throw new CairnError(
      'DISK_FULL',
      `There is not enough free space to restore this backup: it needs ${formatBytes(needed + margin)} and the disk holding the profile has ${formatBytes(free)} free. ` +
        'Your profile was not changed; free some space and try again.',
    )
  }
}

export interface UnpackedProfile {
  settings: Settings
  messages: number
  accounts: AccountRow[]
}

/**
 * On the unpacked files: settings.json is valid and belongs to the
 * backup's profile; mail.sqlite is a Cairn mailbox of exactly the schema
 * its version number says (not another program's database, not a newer
 * Cairn's), and the schema the manifest names.
 */
export function checkUnpackedProfile(dir: string, manifest: Manifest): UnpackedProfile {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(join(dir, profileFiles.settings), 'utf8'))
  } catch (error) {
    throw corrupt(`its settings.json is not valid JSON (${(error as Error).message})`)
  }
  // JSON.parse takes any depth, but writing the settings back (the restore keeps the live
  // profile's backup section; the app saves settings) recurses: a crafted file nested deep
  // enough passed verify, then failed the restore with "Maximum call stack size exceeded".
  try {
    JSON.stringify(json)
  } catch {
    throw corrupt('its settings.json is nested too deeply to be written back')
  }
  const parsed = settingsSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw corrupt(
      `its settings.json is not valid (${issue?.path.join('.') || 'settings'}: ${issue?.message ?? 'invalid'})`,
    )
  }
  const settings = parsed.data
  if (settings.profileId !== manifest.profileId) {
    throw corrupt(
      `its settings.json belongs to profile ${settings.profileId} but its manifest to ${manifest.profileId}`,
    )
  }

  const db = new Database(join(dir, profileFiles.database), { readonly: true, fileMustExist: true })
  try {
    const version = db.pragma('user_version', { simple: true }) as number
    if (version > SCHEMA_VERSION) throw tooNew(version)
    if (version < 1)
      throw corrupt('its mail.sqlite is not a Cairn mailbox (it has no schema version)')
    if (version !== manifest.schemaVersion) {
      throw corrupt(
        `its mail.sqlite has schema ${version} but its manifest says ${manifest.schemaVersion}`,
      )
    }
    const difference = compareSchema(schemaOf(db), expectedSchema(version))
    if (difference)
      throw corrupt(`its mail.sqlite is not a Cairn mailbox of schema ${version} (${difference})`)
    const messages = (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n
    const accounts = db.prepare('SELECT id, kind FROM accounts').all() as AccountRow[]
    return { settings, messages, accounts }
  } finally {
    db.close()
  }
}

function tooNew(schema: number): CairnError {
  return new CairnError(
    'BACKUP_TOO_NEW',
    `This backup comes from a newer version of Cairn (mailbox schema ${schema}; this version reads up to ${SCHEMA_VERSION}). Update Cairn, then restore it.`,
  )
}

/** Tables, indexes, triggers and views by name, and each table's columns. */
type Schema = Map<string, string>

function schemaOf(db: Database.Database): Schema {
  const schema: Schema = new Map()
  const objects = db
    .prepare(
      `SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`,
    )
    .all() as { type: string; name: string }[]
  for (const { type, name } of objects) {
    const columns =
      type === 'table'
        ? (db.pragma(`table_info(${JSON.stringify(name)})`) as { name: string }[])
            .map((c) => c.name)
            .join(',')
        : ''
    schema.set(`${type} ${name}`, columns)
  }
  return schema
}

const expected = new Map<number, Schema>()

/** The schema Cairn's own migrations give at `version`, built once in memory. */
function expectedSchema(version: number): Schema {
  let schema = expected.get(version)
  if (!schema) {
    const db = new Database(':memory:')
    try {
      migrate(db, migrations.slice(0, version))
      schema = schemaOf(db)
    } finally {
      db.close()
    }
    expected.set(version, schema)
  }
  return schema
}

function compareSchema(actual: Schema, wanted: Schema): string | null {
  for (const [object, columns] of wanted) {
    if (!actual.has(object)) return `no ${object}`
    if (actual.get(object) !== columns) return `${object} has other columns`
  }
  for (const object of actual.keys()) if (!wanted.has(object)) return `an unexpected ${object}`
  return null
}
