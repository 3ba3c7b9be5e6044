import type { Migration } from '../migration.js'
import { initialSchema } from './0001-initial.js'
import { accountsForSync } from './0002-accounts-for-sync.js'
import { remoteMessages } from './0003-remote-messages.js'
import { syncActions } from './0004-sync-actions.js'
import { outbox } from './0005-outbox.js'

/** Every migration, in order. Append only: a shipped migration never changes. */
export const migrations: readonly Migration[] = [
  initialSchema,
  accountsForSync,
  remoteMessages,
  syncActions,
  outbox,
]

/** The schema version this build of Cairn writes and understands. */
export const SCHEMA_VERSION = migrations.length
