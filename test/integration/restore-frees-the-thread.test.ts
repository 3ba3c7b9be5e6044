/**
 * A restore inside the app runs on the thread that serves the window: the
 * previous profile (a whole mailbox) is removed without blocking it. Before
 * this, removing it synchronously froze the window for seconds on a 1 GB
 * profile (bench:backup-ui, max event-loop delay 4 s during restore).
 */
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { journalPath } from '../../main/backup/restore/journal'
import { planRestore } from '../../main/backup/restore/restore'
import { backUp, messageCount, setUpBackupKey } from '../support/backup-fixtures'
import { makeProfile } from '../support/profiles'

describe('a restore over a profile', () => {
  it('lets the event loop run while the previous profile is removed, and removes it and the journal in the end', async () => {
    const profile = await makeProfile({ messages: 30, attachmentBytes: 64 * 1024 })
    const { key } = setUpBackupKey(profile.dir)
    const { path } = await backUp(profile, key)
    const parent = join(profile.dir, '..')

    let finished = false
    let seenDuringRemoval: { names: string[]; restoreFinished: boolean } | null = null
    const plan = await planRestore({
      file: path,
      key,
      profileDir: profile.dir,
      onStep: (step) => {
        if (step !== 'completing') return
        // The next turn of the loop: it comes while the restore is still finishing only if
        // the removal does not hold the thread.
        setImmediate(() => {
          seenDuringRemoval ??= { names: readdirSync(parent), restoreFinished: finished }
        })
      },
    })
    const result = await plan.execute({ confirm: plan.confirmations.map((c) => c.kind) })
    finished = true

    // The loop turned before the restore finished, with the previous profile still beside the restored one.
    const seen = seenDuringRemoval as { names: string[]; restoreFinished: boolean } | null
    expect(seen, 'the loop never turned between "completing" and the end').not.toBeNull()
    expect(seen?.restoreFinished).toBe(false)
    expect(seen?.names.some((name) => name.includes('.pre-restore-'))).toBe(true)
    // And in the end it is gone, with the journal.
    expect(readdirSync(parent)).toEqual(['profile'])
    expect(existsSync(journalPath(profile.dir))).toBe(false)
    expect(result.summary.backup.messages).toBe(30)
    expect(messageCount(profile.dir)).toBe(30)
  })
})
