import type { Migration } from '../migration.js'
import { initialSchema } from './0001-initial.js'
import { accountsForSync } from './0002-accounts-for-sync.js'

/** Every migration, in order. Append only: a shipped migration never changes. */
export const migrations: readonly Migration[] = [initialSchema, accountsForSync]

/** The schema version this build of Cairn writes and understands. */
export const SCHEMA_VERSION = migrations.length
