import type { Migration } from '../migration.js'
import { initialSchema } from './0001-initial.js'
import { accountsForSync } from './0002-accounts-for-sync.js'
import { chatConversations } from './0003-chat-conversations.js'
import { chatMessages } from './0004-chat-messages.js'
import { chatAttachments } from './0005-chat-attachments.js'
import { chatSearch } from './0006-chat-search.js'
import { chatRoster } from './0007-chat-roster.js'
import { remoteMessages } from './0008-remote-messages.js'
import { syncActions } from './0009-sync-actions.js'
import { outbox } from './0010-outbox.js'
import { searchTerms } from './0011-search-terms.js'
import { threadsAndSorting } from './0012-threads-and-sorting.js'
import { draftsAndSources } from './0013-drafts-and-sources.js'
import { searchDateSpans } from './0014-search-date-spans.js'
import { sourcesLeaveWithMessages } from './0015-sources-leave-with-messages.js'
import { releasedAttachmentFiles } from './0016-released-attachment-files.js'
import { damagedDraftsLeave } from './0017-damaged-drafts-leave.js'

/**
 * Every migration, in order. Append only: a shipped migration never changes.
 * To add one (the policy tests in test/integration/migrations.test.ts fail
 * until all three are done):
 *   1. main/mail/db/migrations/NNNN-what-it-does.ts exporting a Migration
 *      numbered NNNN; every table it creates is STRICT; a table rebuild
 *      sets foreignKeys: 'off' (the runner checks every reference before
 *      committing);
 *   2. append it here;
 *   3. test/integration/migrations/NNNN-what-it-does.test.ts calling
 *      describeMigration(it, { seed, checks }) (test/support/migrations.ts):
 *      a populated mailbox at NNNN-1 is upgraded and must keep every row.
 */
export const migrations: readonly Migration[] = [
  initialSchema,
  accountsForSync,
  chatConversations,
  chatMessages,
  chatAttachments,
  chatSearch,
  chatRoster,
  remoteMessages,
  syncActions,
  outbox,
  searchTerms,
  threadsAndSorting,
  draftsAndSources,
  searchDateSpans,
  sourcesLeaveWithMessages,
  releasedAttachmentFiles,
  damagedDraftsLeave,
]

/** The schema version this build of Cairn writes and understands. */
export const SCHEMA_VERSION = migrations.length
