import type { Migration } from '../migration.js'
import { initialSchema } from './0001-initial.js'
import { accountsForSync } from './0002-accounts-for-sync.js'
import { chatConversations } from './0010-chat-conversations.js'
import { chatMessages } from './0011-chat-messages.js'
import { chatAttachments } from './0012-chat-attachments.js'
import { chatSearch } from './0013-chat-search.js'
import { chatRoster } from './0014-chat-roster.js'

/** Every migration, in order. Append only: a shipped migration never changes. */
export const migrations: readonly Migration[] = [
  initialSchema,
  accountsForSync,
  chatConversations,
  chatMessages,
  chatAttachments,
  chatSearch,
  chatRoster,
]

/** The schema version this build of Cairn writes and understands. */
export const SCHEMA_VERSION = migrations.length
