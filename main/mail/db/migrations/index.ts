import type { Migration } from '../migration.js'
import { initialSchema } from './0001-initial.js'

/** Every migration, in order. Append only: a shipped migration never changes. */
export const migrations: readonly Migration[] = [initialSchema]

/** The schema version this build of Cairn writes and understands. */
export const SCHEMA_VERSION = migrations.length
