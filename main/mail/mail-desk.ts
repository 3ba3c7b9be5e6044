import { join } from 'node:path'
import type { ProfilePaths } from '../profile/layout.js'
import { attachmentPath } from './attachment-store.js'
import { openFolder, runsWhenOpened, safeFileName, saveInto } from './attachment-files.js'
import { FolderActions } from './actions/folder-actions.js'
import { MailActions } from './actions/message-actions.js'
import { ComposeService } from './compose/compose-service.js'
import { Uploads } from './compose/uploads.js'
import type { MailDb } from './db/connection.js'
import type { MailAccounts } from './mail-accounts.js'
import type { MailService } from './mail-service.js'
import { getAttachmentRows } from './store/messages.js'
import { CairnError } from '../shared/errors.js'
import { copyFileSync, constants } from 'node:fs'

/** What the user does with mail, beside reading it: actions, folders, writing, attachments. */
export interface MailDesk {
  actions: MailActions
  folders: FolderActions
  compose: ComposeService
  uploads: Uploads
  /** Copy an attachment into `folder` under a safe, new name; returns the path written. */
  saveAttachment(messageId: number, attachmentId: number, folder: string): string
  /** Copy an attachment into a private folder of its own, for the system's application to open. */
  attachmentForOpening(messageId: number, attachmentId: number): string
  close(): Promise<void>
}

/**
 * Compose the everyday-mail services over a profile: message and folder
 * actions (IMAP accounts through sync's queue and short sessions), the
 * compose service (drafts, outbox), uploads into the attachment store.
 */
export function openMailDesk(options: {
  db: MailDb
  paths: ProfilePaths
  mail: MailService
  accounts: MailAccounts | null
}): MailDesk {
  const { db, paths, mail, accounts } = options
  const credentials = accounts?.accounts.credentials ?? null
  const folders = new FolderActions(db, credentials)
  const actions = new MailActions(db, accounts?.sync ?? null, folders)
  const uploads = new Uploads(join(paths.cache, 'uploads'), paths.attachments)
  const compose = new ComposeService({
    db,
    attachmentsDir: paths.attachments,
    mail,
    accounts: accounts?.accounts ?? null,
    send: accounts?.send ?? null,
    credentials,
    folders,
    uploads,
  })
  // Lists refresh on the mailbox's one "changed" event, whatever changed.
  actions.events.on('changed', () => mail.events.emit('changed', { reason: 'actions' }))
  folders.events.on('changed', () => mail.events.emit('changed', { reason: 'folders' }))
  void compose.uploadPending().catch(() => undefined)

  const stored = (messageId: number, attachmentId: number) => {
    const row = getAttachmentRows(db, messageId).find((a) => a.id === attachmentId)
    if (!row)
      throw new CairnError(
        'NOT_FOUND',
        'That attachment is no longer there (the message was deleted or moved).',
      )
    return { name: row.filename, file: attachmentPath(paths.attachments, row.sha256) }
  }
  return {
    actions,
    folders,
    compose,
    uploads,
    saveAttachment(messageId, attachmentId, folder) {
      const { name, file } = stored(messageId, attachmentId)
      return saveInto(folder, name, file)
    },
    attachmentForOpening(messageId, attachmentId) {
      const { name, file } = stored(messageId, attachmentId)
      const safe = safeFileName(name)
      // The name the system decides by is the safe one (trailing dots and spaces already gone).
      if (runsWhenOpened(safe))
        throw new CairnError(
          'ACTION_NOT_ALLOWED',
          `"${safe}" is a program or a shortcut: Cairn does not open those from mail, because opening it would run it. Save it instead if you trust the sender.`,
        )
      const target = join(openFolder(paths.cache), safe)
      copyFileSync(file, target, constants.COPYFILE_EXCL)
      return target
    },
    async close() {
      await compose.close()
      uploads.close()
    },
  }
}
