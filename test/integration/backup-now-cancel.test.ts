/**
 * "Back up now" and its Cancel, through the contract as the status bar
 * sends them: the run's progress arrives as events, Cancel stops it with
 * a coded outcome that says no backup was written, nothing is left in the
 * backup folder, the last success is not moved, and the next "Back up
 * now" works.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { writeBackupSettings } from '../../main/backup/backup-settings'
import type { BackupFinished, BackupStatus, Envelope, HistoryEntry } from '../../main/ipc/contract'
import { createServiceContext, type OwnedServiceContext } from '../../main/ipc/context'
import { ProfileSession } from '../../main/ipc/profile-session'
import { createRouter, type Router } from '../../main/ipc/router'
import { openProfile } from '../../main/profile/profile'
import { openServices } from '../../main/services'
import { setUpBackupKey } from '../support/backup-fixtures'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

const open: { session: ProfileSession; ctx: OwnedServiceContext }[] = []
afterEach(async () => {
  for (const app of open.splice(0)) {
    app.ctx.close()
    await app.session.close()
  }
})

async function ok<T>(envelope: Promise<Envelope<unknown>>): Promise<T> {
  const answer = await envelope
  if (!answer.ok) throw new Error(`${answer.error.code}: ${answer.error.message}`)
  return answer.value as T
}

describe('Back up now, and Cancel', () => {
  it('cancelled mid-run: said so, nothing left in the folder, the last success kept; the next run works, and "Full backup now" starts a new chain', async () => {
    // About 64 MB of incompressible attachments: long enough to be cancelled while it writes.
    const profile = await makeProfile({ messages: 40, attachmentBytes: 8 * 1024 * 1024 })
    setUpBackupKey(profile.dir)
    const folder = tempDir()
    const p = openProfile(profile.dir)
    writeBackupSettings(p, (s) => s && { ...s, destination: folder })
    p.close()

    const session = new ProfileSession(profile.dir, (dir) => openServices(dir))
    const ctx = createServiceContext(session, {
      env: { CAIRN_BACKUP_DIR: folder },
      userDataDir: join(tempDir(), 'user-data'),
    })
    open.push({ session, ctx })
    const router: Router = createRouter(ctx, { transport: 'test', log: () => undefined })
    const events: string[] = []
    let cancelled: Promise<Envelope<unknown>> | null = null
    let finished: (outcome: BackupFinished) => void = () => undefined
    router.subscribe((event, payload) => {
      events.push(event)
      // Cancel at the first sign of progress, as a user pressing Cancel in the status bar.
      if (event === 'backup.progress' && !cancelled) cancelled = router.call('backup.cancel', {})
      if (event === 'backup.finished') finished(payload as BackupFinished)
    })

    // Nothing runs yet: Cancel has nothing to stop.
    expect(await ok<boolean>(router.call('backup.cancel', {}))).toBe(false)

    const outcome = new Promise<BackupFinished>((resolve) => (finished = resolve))
    await ok(router.call('backup.runNow', {}))
    const first = await outcome
    expect(cancelled).not.toBeNull()
    expect(await ok<boolean>(cancelled as unknown as Promise<Envelope<unknown>>)).toBe(true)
    expect(events).toContain('backup.started')
    expect(first.ok).toBe(false)
    if (first.ok) return
    expect(first.error.code).toBe('BACKUP_CANCELLED')
    expect(first.error.message).toMatch(/cancelled/)
    // No backup, no partial file, no temp file.
    expect(readdirSync(folder)).toEqual([])
    const status = await ok<BackupStatus>(router.call('backup.status', {}))
    expect(status.running).toBe(false)
    expect(status.lastSuccessAt).toBeNull()

    // The next "Back up now" runs to the end.
    cancelled = Promise.resolve({ ok: true, value: true }) // no second cancel
    const second = new Promise<BackupFinished>((resolve) => (finished = resolve))
    await ok(router.call('backup.runNow', {}))
    const done = await second
    expect(done.ok, JSON.stringify(done)).toBe(true)
    const files = readdirSync(folder).filter((n) => n.endsWith('.tar.zst.age'))
    expect(files).toHaveLength(1)
    const after = await ok<BackupStatus>(router.call('backup.status', {}))
    expect(after.lastSuccessAt).not.toBeNull()

    // The next is an incremental link; asked for, a full backup starts a new chain.
    const kinds = async (full: boolean) => {
      const next = new Promise<BackupFinished>((resolve) => (finished = resolve))
      await ok(router.call('backup.runNow', full ? { full } : {}))
      const outcome = await next
      expect(outcome.ok, JSON.stringify(outcome)).toBe(true)
      const history = await ok<HistoryEntry[]>(router.call('backup.history', {}))
      return history.find((e) => outcome.ok && e.name === outcome.backup.name)?.kind
    }
    expect(await kinds(false)).toBe('incremental')
    expect(await kinds(true)).toBe('full')
    expect(await kinds(false)).toBe('incremental')
  }, 120_000)
})
