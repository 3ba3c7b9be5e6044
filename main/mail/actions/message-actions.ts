import type { MailDb } from '../db/connection.js'
import { Emitter } from '../../shared/emitter.js'
import { CairnError } from '../../shared/errors.js'
import type { SyncService } from '../sync/sync-service.js'
import type { FolderActions } from './folder-actions.js'

export type FolderRole = '\\Inbox' | '\\Trash' | '\\Archive' | '\\Junk' | '\\Drafts'

export interface FlagChange {
  seen?: boolean
  flagged?: boolean
}

/** What an action did, for the "Moved 3 messages to Trash · Undo" notice. */
export interface ActionResult {
  /** Worded for the user: "Moved 3 messages to Trash". */
  summary: string
  count: number
  /** Whether undo() can take it back (a permanent delete cannot). */
  undoable: boolean
}

export interface ActionEvents {
  [name: string]: unknown
  changed: { reason: 'actions' }
}

interface MessageInfo {
  id: number
  folder_id: number
  seen: number
  flagged: number
  account_id: number
  kind: 'local' | 'imap'
  special_use: string | null
  folder_name: string
}

interface Undo {
  summary: string
  run(): Promise<void>
}

const plural = (n: number, one: string) =>
  `${n.toLocaleString('en-US')} ${one}${n === 1 ? '' : 's'}`

/**
 * What the user does to messages: flags, moves, delete, archive, junk, and
 * undo of the last of them. Imported mail (Local Folders) changes in the
 * store at once; mail of an IMAP account goes through sync's durable queue
 * (sync/local-actions.ts), which changes the store at once too and replays
 * to the server in the background. Moves stay within one account.
 */
export class MailActions {
  readonly events = new Emitter<ActionEvents>()
  private last: Undo | null = null

  constructor(
    private readonly db: MailDb,
    private readonly sync: SyncService | null,
    private readonly folders: FolderActions,
  ) {}

  async setFlags(ids: number[], change: FlagChange): Promise<ActionResult> {
    const messages = this.info(ids)
    if (messages.length === 0) return { summary: 'Nothing changed', count: 0, undoable: false }
    this.applyFlags(messages, change)
    const summary = flagSummary(messages.length, change)
    this.remember(summary, async () => {
      // Each message gets back exactly the flags it had.
      for (const m of this.info(messages.map((x) => x.id))) {
        const was = messages.find((x) => x.id === m.id) as MessageInfo
        this.applyFlags([m], {
          ...(change.seen !== undefined ? { seen: was.seen === 1 } : {}),
          ...(change.flagged !== undefined ? { flagged: was.flagged === 1 } : {}),
        })
      }
    })
    this.changed()
    return { summary, count: messages.length, undoable: true }
  }

  async move(ids: number[], folderId: number): Promise<ActionResult> {
    const target = this.folderInfo(folderId)
    const messages = this.info(ids)
    for (const m of messages)
      if (m.account_id !== target.account_id)
        throw new CairnError(
          'ACTION_NOT_ALLOWED',
          `Messages can be moved only between folders of one account; "${target.name}" is in another.`,
        )
    return this.moveTo(
      messages,
      folderId,
      `Moved ${plural(messages.length, 'message')} to ${target.name}`,
    )
  }

  /** Delete: to the account's Trash, or for good when already there (like Thunderbird). */
  async delete(ids: number[]): Promise<ActionResult> {
    const messages = this.info(ids)
    const toTrash: { message: MessageInfo; trash: number }[] = []
    const forGood: MessageInfo[] = []
    for (const m of messages) {
      if (m.special_use === '\\Trash') forGood.push(m)
      else
        toTrash.push({ message: m, trash: await this.folders.roleFolder(m.account_id, '\\Trash') })
    }
    if (forGood.length > 0) await this.deleteForGood(forGood)
    if (toTrash.length === 0) {
      this.last = null
      this.changed()
      return {
        summary: `Deleted ${plural(forGood.length, 'message')} for good`,
        count: forGood.length,
        undoable: false,
      }
    }
    const moves = new Map<number, MessageInfo[]>()
    for (const { message, trash } of toTrash)
      moves.set(trash, [...(moves.get(trash) ?? []), message])
    for (const [trash, group] of moves) this.moveNow(group, trash)
    const summary =
      forGood.length > 0
        ? `Moved ${plural(toTrash.length, 'message')} to Trash, deleted ${forGood.length} for good`
        : `Moved ${plural(toTrash.length, 'message')} to Trash`
    this.rememberMoveBack(
      summary,
      toTrash.map((t) => t.message),
    )
    this.changed()
    return { summary, count: messages.length, undoable: true }
  }

  archive(ids: number[]): Promise<ActionResult> {
    return this.toRole(ids, '\\Archive', (what) => `Archived ${what}`)
  }

  junk(ids: number[]): Promise<ActionResult> {
    return this.toRole(ids, '\\Junk', (what) => `Marked ${what} as junk`)
  }

  /** "Not junk": back to the Inbox. */
  notJunk(ids: number[]): Promise<ActionResult> {
    return this.toRole(ids, '\\Inbox', (what) => `Moved ${what} to the Inbox`)
  }

  /** Take back the last action; one level, like most mail clients. */
  async undo(): Promise<ActionResult> {
    const last = this.last
    if (!last) throw new CairnError('NOTHING_TO_UNDO', 'There is nothing to undo.')
    this.last = null
    await last.run()
    this.changed()
    return { summary: `Undone: ${last.summary}`, count: 0, undoable: false }
  }

  get canUndo(): string | null {
    return this.last?.summary ?? null
  }

  private async toRole(
    ids: number[],
    role: FolderRole,
    say: (what: string) => string,
  ): Promise<ActionResult> {
    const messages = this.info(ids)
    const byTarget = new Map<number, MessageInfo[]>()
    for (const m of messages) {
      if (m.special_use === role) continue
      const target = await this.folders.roleFolder(m.account_id, role)
      byTarget.set(target, [...(byTarget.get(target) ?? []), m])
    }
    const moved = [...byTarget.values()].flat()
    for (const [target, group] of byTarget) this.moveNow(group, target)
    const summary = say(plural(moved.length, 'message'))
    this.rememberMoveBack(summary, moved)
    this.changed()
    return { summary, count: moved.length, undoable: moved.length > 0 }
  }

  private async moveTo(messages: MessageInfo[], folderId: number, summary: string) {
    const moving = messages.filter((m) => m.folder_id !== folderId)
    this.moveNow(moving, folderId)
    this.rememberMoveBack(summary, moving)
    this.changed()
    return { summary, count: moving.length, undoable: moving.length > 0 }
  }

  private rememberMoveBack(summary: string, messages: MessageInfo[]) {
    const origins = messages.map((m) => ({ id: m.id, folder: m.folder_id }))
    this.remember(summary, async () => {
      const byFolder = new Map<number, number[]>()
      for (const o of origins) byFolder.set(o.folder, [...(byFolder.get(o.folder) ?? []), o.id])
      for (const [folder, ids] of byFolder) this.moveNow(this.info(ids), folder)
    })
  }

  private remember(summary: string, run: () => Promise<void>) {
    this.last = { summary, run }
  }

  /** Move now: in the store for local mail, through sync's queue for an account's. */
  private moveNow(messages: MessageInfo[], folderId: number) {
    const local = messages.filter((m) => m.kind === 'local').map((m) => m.id)
    const remote = messages.filter((m) => m.kind === 'imap').map((m) => m.id)
    if (local.length) {
      const move = this.db.prepare('UPDATE messages SET folder_id = ? WHERE id = ?')
      this.db.transaction(() => {
        for (const id of local) move.run(folderId, id)
      })()
    }
    if (remote.length) this.remoteSync().move(remote, folderId)
  }

  private applyFlags(messages: MessageInfo[], change: FlagChange) {
    const remote = messages.filter((m) => m.kind === 'imap').map((m) => m.id)
    const local = messages.filter((m) => m.kind === 'local').map((m) => m.id)
    if (remote.length) this.remoteSync().setFlags(remote, change)
    if (local.length)
      this.db.transaction(() => {
        for (const id of local) {
          if (change.seen !== undefined)
            this.db
              .prepare('UPDATE messages SET seen = ? WHERE id = ?')
              .run(change.seen ? 1 : 0, id)
          if (change.flagged !== undefined)
            this.db
              .prepare('UPDATE messages SET flagged = ? WHERE id = ?')
              .run(change.flagged ? 1 : 0, id)
        }
      })()
  }

  private async deleteForGood(messages: MessageInfo[]) {
    const local = messages.filter((m) => m.kind === 'local').map((m) => m.id)
    const remote = messages.filter((m) => m.kind === 'imap')
    if (local.length) {
      const remove = this.db.prepare('DELETE FROM messages WHERE id = ?')
      this.db.transaction(() => {
        for (const id of local) remove.run(id)
      })()
    }
    if (remote.length) {
      // A move to Trash still queued must reach the server first, or the
      // expunge would name the copy's old place (best effort: offline, the
      // queue keeps both in order anyway).
      const sync = this.remoteSync()
      for (const account of new Set(remote.map((m) => m.account_id)))
        await Promise.race([
          sync
            .account(account)
            .replayNow()
            .catch(() => undefined),
          new Promise((resolve) => setTimeout(resolve, 5000)),
        ])
      sync.delete(remote.map((m) => m.id))
    }
  }

  private remoteSync(): SyncService {
    if (!this.sync)
      throw new CairnError('ACTION_NOT_ALLOWED', 'Mail accounts are not available here.')
    return this.sync
  }

  private info(ids: number[]): MessageInfo[] {
    if (ids.length === 0) return []
    return this.db
      .prepare<[string], MessageInfo>(
        `SELECT m.id, m.folder_id, m.seen, m.flagged, f.account_id, a.kind, f.special_use,
                f.name AS folder_name
           FROM messages m JOIN folders f ON f.id = m.folder_id JOIN accounts a ON a.id = f.account_id
          WHERE m.id IN (SELECT value FROM json_each(?))
          ORDER BY m.id`,
      )
      .all(JSON.stringify(ids))
  }

  private folderInfo(folderId: number) {
    const row = this.db
      .prepare<[number], { account_id: number; name: string }>(
        'SELECT account_id, name FROM folders WHERE id = ?',
      )
      .get(folderId)
    if (!row) throw new CairnError('NOT_FOUND', 'That folder no longer exists.')
    return row
  }

  private changed() {
    this.events.emit('changed', { reason: 'actions' })
  }
}

function flagSummary(count: number, change: FlagChange): string {
  const what = plural(count, 'message')
  if (change.seen === true) return `Marked ${what} as read`
  if (change.seen === false) return `Marked ${what} as unread`
  if (change.flagged === true) return `Starred ${what}`
  if (change.flagged === false) return `Removed the star from ${what}`
  return `Changed ${what}`
}
