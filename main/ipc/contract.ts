/**
 * The one API the renderer may call, whatever carries it (Electron IPC in
 * the app, a loopback WebSocket in the browser build): the registry of
 * services, each declared once in main/ipc/services/<name>.ts with
 * defineService. To add a feature, write its service module and add one
 * line here; dispatch, both transports, the preload's event list and the
 * renderer's types follow from this object.
 *
 * The renderer imports this file for types only.
 */
import type {
  EventNameOf,
  EventPayloadOf,
  MethodInputOf,
  MethodNameOf,
  MethodOutputOf,
} from './define.js'
import { accountsService } from './services/accounts.js'
import { appService } from './services/app.js'
import { backupService } from './services/backup.js'
import { backupKeyService } from './services/backup-key.js'
import { restoreService } from './services/backup-restore.js'
import { chatService } from './services/chat.js'
import { composeService } from './services/compose.js'
import { mailService } from './services/mail.js'
import { outboxService } from './services/outbox.js'
import { searchService } from './services/search.js'

export const contract = {
  app: appService,
  mail: mailService,
  backup: backupService,
  backupKey: backupKeyService,
  restore: restoreService,
  chat: chatService,
  search: searchService,
  accounts: accountsService,
  compose: composeService,
  outbox: outboxService,
}

export type Contract = typeof contract
export type Method = MethodNameOf<Contract>
export type MethodInput<M extends Method> = MethodInputOf<Contract, M>
export type MethodOutput<M extends Method> = MethodOutputOf<Contract, M>
export type EventName = EventNameOf<Contract>
export type EventPayloads = { [E in EventName]: EventPayloadOf<Contract, E> }

export type { AccountSummary } from './services/accounts.js'
export type { AppCommand, AppInfo, MenuCommand } from './services/app.js'
export type {
  BackupFinished,
  BackupHealth,
  BackupNotice,
  BackupProgressView,
  BackupSettingsView,
  AddDestinationOutcome,
  BackupStatus,
  HistoryEntry,
} from './services/backup.js'
export type { KeyView, RecoverySheetContent, RevealedKey } from './services/backup-key.js'
export type {
  BackupCandidate,
  FoundBackups,
  LiveProfileView,
  PlanView,
  RestoreDone,
} from './services/backup-restore.js'
export type { ImportFinished, MessageView } from './services/mail.js'
export type { OutboxItem } from './services/outbox.js'
export type {
  AccountAnswer,
  ChatAccountView,
  ChatAttachmentItem,
  ChatMessageItem,
  ChatNoticeView,
  ContactView,
  UntrustedCertificate,
} from './services/chat.js'
export type { CairnBridge, Envelope } from './bridge.js'
