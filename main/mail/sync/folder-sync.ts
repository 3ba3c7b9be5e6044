import type { FetchMessageObject, ImapFlow } from 'imapflow'
import type { MailDb } from '../db/connection.js'
import { saveFolderState, type RemoteFolder } from '../store/remote-folders.js'
import { remoteContentKey, remoteMessageStore } from '../store/remote-messages.js'
import { HEADER_QUERY, toRemoteHeader, validModseq } from './envelope.js'
import { newestFirstChunks, toUidSet, type UidRanges } from './uid-set.js'

export interface FolderSyncResult {
  added: number
  removed: number
  flagsChanged: number
  /** The folder's UIDVALIDITY changed and its messages were matched again. */
  uidvalidityReset: boolean
}

export interface FolderSyncContext {
  db: MailDb
  client: ImapFlow
  accountId: number
  /** UIDs the server reported expunged (VANISHED) while this folder was selected. */
  vanished: UidRanges
  /** Called after each committed batch, so the list shows messages as they arrive. */
  onBatch?: (folderId: number, added: number) => void
  /** Size of the first header batch (the first screen) and of the later ones. */
  firstBatch?: number
  batch?: number
}

/** UIDs per header FETCH after the first screen, and headers per committed transaction within it. */
const WALK_CHUNK = 2000
const WALK_COMMIT = 500

/**
 * Bring one folder up to date, headers only. First sync: remember where the
 * server was (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ), then walk down from the
 * newest UID in batches, each committed with its checkpoint, so a broken
 * connection resumes where it stopped and never stores a message twice.
 * Later syncs: new UIDs above the checkpoint; flag changes since the
 * checkpoint's MODSEQ (CONDSTORE) with expunges as VANISHED (QRESYNC), or
 * every flag and a UID diff on servers without them; a changed UIDVALIDITY
 * re-matches the folder's messages by Message-ID and size.
 */
export async function syncFolder(
  ctx: FolderSyncContext,
  folder: RemoteFolder,
): Promise<FolderSyncResult> {
  const { db, client } = ctx
  const store = remoteMessageStore(db, ctx.accountId)
  const result: FolderSyncResult = {
    added: 0,
    removed: 0,
    flagsChanged: 0,
    uidvalidityReset: false,
  }
  ctx.vanished.clear()
  const mailbox = await client.mailboxOpen(folder.imapPath)
  const uidvalidity = Number(mailbox.uidValidity)
  const uidnext = mailbox.uidNext
  // Kept a bigint: mod-sequences are 63-bit, and as a number one above 2^53
  // rounds (to 1,024 near 2^62), so a change could compare equal to the
  // checkpoint, or fall below a checkpoint rounded up, and never be fetched.
  // One out of range counts as none (every flag is fetched).
  const modseq = mailbox.noModseq ? null : validModseq(mailbox.highestModseq)
  const condstore = modseq !== null && client.enabled.has('CONDSTORE')

  let state = {
    uidvalidity,
    uidnext: folder.uidnext ?? uidnext,
    highestModseq: folder.highestModseq,
    headersBelow: folder.headersBelow,
  }
  if (folder.uidvalidity !== null && folder.uidvalidity !== uidvalidity) {
    result.uidvalidityReset = true
    result.removed += await rematch(ctx, folder, uidvalidity)
    state = { uidvalidity, uidnext, highestModseq: modseq, headersBelow: uidnext }
    db.transaction(() => saveFolderState(db, folder.folderId, state))()
  } else if (folder.uidvalidity === null) {
    // First sight: everything below the current UIDNEXT is "to fetch, newest first".
    state = { uidvalidity, uidnext, highestModseq: modseq, headersBelow: uidnext }
    db.transaction(() => saveFolderState(db, folder.folderId, state))()
  } else {
    // New messages since the checkpoint.
    if (uidnext > state.uidnext || uidnext === 0) {
      const fresh = await collect(client.fetch(`${state.uidnext}:*`, HEADER_QUERY, { uid: true }))
      const news = fresh.filter((m) => m.uid >= state.uidnext)
      result.added += storeHeaders(ctx, store, folder, uidvalidity, news)
    }
    // Flag changes (and, with QRESYNC, expunges) since the last MODSEQ. A
    // HIGHESTMODSEQ below the checkpoint (a server restored from a backup;
    // RFC 7162 forbids it without a new UIDVALIDITY) voids it: CHANGEDSINCE
    // the checkpoint would answer nothing, so every flag is fetched instead.
    if (
      condstore &&
      modseq !== null &&
      state.highestModseq !== null &&
      modseq >= state.highestModseq
    ) {
      if (modseq !== state.highestModseq) {
        const changed = await collect(
          client.fetch(
            '1:*',
            { uid: true, flags: true },
            { uid: true, changedSince: state.highestModseq },
          ),
        )
        result.flagsChanged += applyFlags(db, store, folder.folderId, uidvalidity, changed)
      }
    } else if (mailbox.exists > 0) {
      const all = await collect(client.fetch('1:*', { uid: true, flags: true }, { uid: true }))
      result.flagsChanged += applyFlags(db, store, folder.folderId, uidvalidity, all)
    }
    if (!ctx.vanished.empty) {
      const gone = ctx.vanished.covered(store.localUids(folder.folderId, uidvalidity))
      result.removed += db.transaction(() => store.removeUids(folder.folderId, uidvalidity, gone))()
    }
    state = { ...state, uidnext: Math.max(state.uidnext, uidnext), highestModseq: modseq }
    // Whatever the extensions, a count that disagrees means something was
    // missed: compare UID lists (the fallback for servers without QRESYNC).
    if (state.headersBelow <= 1) {
      const pending = pendingOnFolder(db, ctx.accountId, folder.imapPath, uidvalidity)
      const exists = client.mailbox ? client.mailbox.exists : mailbox.exists
      // Counted on the index; the UID lists are read only when counts disagree.
      if (store.countUids(folder.folderId, uidvalidity) + pending.size !== exists) {
        const local = store.localUids(folder.folderId, uidvalidity)
        const server = new Set(await searchUids(client, '1:*'))
        const gone = local.filter((uid) => !server.has(uid))
        if (gone.length)
          result.removed += db.transaction(() =>
            store.removeUids(folder.folderId, uidvalidity, gone),
          )()
        const localSet = new Set(local)
        const missing = [...server].filter(
          (uid) => !localSet.has(uid) && !pending.has(uid) && uid < state.uidnext,
        )
        if (missing.length)
          result.added += await fetchHeaders(ctx, store, folder, uidvalidity, missing)
      }
    }
    db.transaction(() => saveFolderState(db, folder.folderId, state))()
  }

  // The first-sync walk (or what remains of it): newest first, one committed batch at a time.
  if (state.headersBelow > 1) {
    const remaining = await searchUids(client, `1:${state.headersBelow - 1}`)
    const chunks = newestFirstChunks(remaining, ctx.firstBatch ?? 100, ctx.batch ?? WALK_CHUNK)
    for (const chunk of chunks) {
      // Stored while the rest of the chunk is still arriving (the server
      // keeps producing meanwhile); the checkpoint moves only once the whole
      // chunk is in, so a broken connection resumes at the chunk's top.
      let arrived: FetchMessageObject[] = []
      const commit = (last: boolean) => {
        const batch = arrived
        arrived = []
        db.transaction(() => {
          result.added += storeHeaders(ctx, store, folder, uidvalidity, batch, false)
          if (last) {
            state.headersBelow = Math.min(...chunk)
            saveFolderState(db, folder.folderId, state)
          }
        })()
        if (batch.length || last) ctx.onBatch?.(folder.folderId, batch.length)
      }
      for await (const m of client.fetch(toUidSet(chunk), HEADER_QUERY, { uid: true })) {
        arrived.push(m)
        if (arrived.length >= WALK_COMMIT) commit(false)
      }
      commit(true)
    }
    if (state.headersBelow !== 0) {
      state.headersBelow = 0
      db.transaction(() => saveFolderState(db, folder.folderId, state))()
    }
  }
  return result
}

/** A UID as RFC 3501 defines it: a non-zero 32-bit unsigned integer. */
const validUid = (uid: number | undefined): uid is number =>
  Number.isInteger(uid) && (uid as number) > 0 && (uid as number) <= 0xffffffff

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterator) out.push(item)
  return out
}

async function searchUids(client: ImapFlow, range: string): Promise<number[]> {
  const found = await client.search({ uid: range }, { uid: true })
  return Array.isArray(found) ? found : []
}

function storeHeaders(
  ctx: FolderSyncContext,
  store: ReturnType<typeof remoteMessageStore>,
  folder: RemoteFolder,
  uidvalidity: number,
  messages: FetchMessageObject[],
  ownTransaction = true,
): number {
  // A row without a usable UID (the server said UID 0, or nothing) cannot be
  // addressed later: left out, for the UID comparison to fetch again.
  const run = () =>
    store.insertHeaders(
      folder.folderId,
      folder.imapPath,
      uidvalidity,
      messages.filter((message) => validUid(message.uid)).map(toRemoteHeader),
    )
  const added = ownTransaction ? ctx.db.transaction(run)() : run()
  if (ownTransaction && added) ctx.onBatch?.(folder.folderId, added)
  return added
}

async function fetchHeaders(
  ctx: FolderSyncContext,
  store: ReturnType<typeof remoteMessageStore>,
  folder: RemoteFolder,
  uidvalidity: number,
  uids: number[],
): Promise<number> {
  let added = 0
  for (const chunk of newestFirstChunks(uids, 1000, 1000)) {
    const fetched = await collect(ctx.client.fetch(toUidSet(chunk), HEADER_QUERY, { uid: true }))
    added += storeHeaders(ctx, store, folder, uidvalidity, fetched)
  }
  return added
}

function applyFlags(
  db: MailDb,
  store: ReturnType<typeof remoteMessageStore>,
  folderId: number,
  uidvalidity: number,
  messages: FetchMessageObject[],
): number {
  return db.transaction(() => {
    let changed = 0
    for (const m of messages) {
      if (
        m.flags &&
        store.applyFlags(folderId, uidvalidity, m.uid, [...m.flags], validModseq(m.modseq) ?? 0n)
      )
        changed++
    }
    return changed
  })()
}

/** UIDs in this folder that a queued local move or delete has already taken away locally. */
function pendingOnFolder(
  db: MailDb,
  accountId: number,
  imapPath: string,
  uidvalidity: number,
): Set<number> {
  return new Set(
    db
      .prepare<[number, string, number], { uid: number }>(
        `SELECT uid FROM sync_actions WHERE account_id = ? AND imap_path = ? AND uidvalidity = ?
           AND kind IN ('move', 'delete')
           AND NOT EXISTS (SELECT 1 FROM remote_messages r WHERE r.message_id = sync_actions.message_id
                            AND r.uid = sync_actions.uid AND r.uidvalidity = sync_actions.uidvalidity)`,
      )
      .all(accountId, imapPath, uidvalidity)
      .map((r) => r.uid),
  )
}

/**
 * UIDVALIDITY changed: every UID this folder knew is void. Messages still on
 * the server are matched by Message-ID and size and keep their local row
 * (bodies, read state, queued actions); the rest are removed. The header
 * walk that follows adds whatever did not match, so nothing is duplicated.
 */
async function rematch(
  ctx: FolderSyncContext,
  folder: RemoteFolder,
  uidvalidity: number,
): Promise<number> {
  const { db, client } = ctx
  const server = await collect(
    client.fetch('1:*', { uid: true, size: true, envelope: true }, { uid: true }),
  )
  const byKey = new Map<string, number[]>()
  for (const m of server) {
    if (!validUid(m.uid)) continue
    const key = `${toRemoteHeader(m).messageId}\u0000${m.size ?? 0}`
    const list = byKey.get(key) ?? []
    list.push(m.uid)
    byKey.set(key, list)
  }
  const local = db
    .prepare<[number], { id: number; message_id: string; size: number }>(
      `SELECT m.id, m.message_id, m.size FROM remote_messages r JOIN messages m ON m.id = r.message_id
        WHERE r.folder_id = ? ORDER BY r.uid`,
    )
    .all(folder.folderId)
  return db.transaction(() => {
    let removed = 0
    const remap = db.prepare(
      'UPDATE remote_messages SET uidvalidity = ?, uid = ?, modseq = 0 WHERE message_id = ?',
    )
    const rekey = db.prepare('UPDATE messages SET uid = ?, content_hash = ? WHERE id = ?')
    const drop = db.prepare('DELETE FROM messages WHERE id = ?')
    for (const row of local) {
      const uid = byKey.get(`${row.message_id}\u0000${row.size}`)?.shift()
      if (uid === undefined || !row.message_id) {
        removed += drop.run(row.id).changes
        continue
      }
      remap.run(uidvalidity, uid, row.id)
      rekey.run(uid, remoteContentKey(folder.folderId, uidvalidity, uid), row.id)
    }
    return removed
  })()
}
