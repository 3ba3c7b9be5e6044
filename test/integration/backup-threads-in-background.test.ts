/**
 * The app's window must not stutter while it backs up or restores
 * (bench:backup-ui, event-loop delay of the main process). Two things keep
 * the heavy work away from the thread that serves it: a restore started
 * from the app reads and checks the backup in a worker thread (before,
 * the archive was unpacked and every file hashed on the main thread:
 * restore p99 ≈ 120 ms on a busy machine), and the backup and restore
 * worker threads run at a lower priority than it (Linux: per thread).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { hashFiles } from '../../main/backup/archive/hash-files'
import { generateBackupKey } from '../../main/backup/key/backup-key'
import { planRestore, type RestorePlan } from '../../main/backup/restore/restore'
import { isCairnError } from '../../main/shared/errors'
import { backUp, messageCount, setUpBackupKey } from '../support/backup-fixtures'
import { makeProfile } from '../support/profiles'

/** Nice value of each thread of this process, by thread id. */
function threadNices(): Map<number, number> {
  const nices = new Map<number, number>()
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
    // Fields after "(comm) ": state is field 3, nice field 19 (proc(5)).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    nices.set(Number(tid), Number(fields[16]))
  }
  return nices
}

/** Every staged file, relative path → bytes, to compare two stagings. */
function stagedFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>()
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name)
      files.set(path.slice(dir.length), readFileSync(path).toString('base64'))
    }
  return files
}

const stagingOf = (plan: RestorePlan, profileDir: string) => {
  const parent = join(profileDir, '..')
  const name = readdirSync(parent).find((n) => n.includes('restore'))
  expect(name, `no staging folder beside ${profileDir}`).toBeDefined()
  return join(parent, name as string)
}

describe('backup and restore work off the window thread', () => {
  it('a restore staged in a worker thread gives the same summary, confirmations, files and profile as one staged in place', async () => {
    const profile = await makeProfile({ messages: 25, attachmentBytes: 32 * 1024 })
    const { key } = setUpBackupKey(profile.dir)
    const { path } = await backUp(profile, key)

    const inPlace = await planRestore({ file: path, key, profileDir: profile.dir })
    const inPlaceFiles = stagedFiles(stagingOf(inPlace, profile.dir))
    inPlace.discard()

    const progress: number[] = []
    const offThread = await planRestore({
      file: path,
      key,
      profileDir: profile.dir,
      offThread: true,
      onProgress: ({ bytesDone }) => progress.push(bytesDone),
    })
    expect(offThread.summary).toEqual(inPlace.summary)
    expect(offThread.confirmations).toEqual(inPlace.confirmations)
    expect(stagedFiles(stagingOf(offThread, profile.dir))).toEqual(inPlaceFiles)
    // Progress crosses from the worker, up to every byte of the backup's files.
    expect(progress.at(-1)).toBe(offThread.summary.backup.bytes)

    const result = await offThread.execute({
      confirm: offThread.confirmations.map((c) => c.kind),
    })
    expect(result.summary.backup.messages).toBe(25)
    expect(messageCount(profile.dir)).toBe(25)
    expect(readdirSync(join(profile.dir, '..'))).toEqual(['profile'])
  })

  it('a restore staged in a worker thread refuses a wrong key with the same error, and leaves nothing behind', async () => {
    const profile = await makeProfile({ messages: 3 })
    const { key } = setUpBackupKey(profile.dir)
    const { path } = await backUp(profile, key)
    const other = generateBackupKey()
    const refusal = (offThread: boolean) =>
      planRestore({ file: path, key: other, profileDir: profile.dir, offThread }).then(
        () => expect.fail('the wrong key was accepted'),
        (error: unknown) => {
          if (!isCairnError(error)) throw error
          return { code: error.code, message: error.message }
        },
      )
    const inPlace = await refusal(false)
    expect(inPlace.code).toBe('KEY_MISMATCH')
    expect(await refusal(true)).toEqual(inPlace)
    expect(readdirSync(join(profile.dir, '..'))).toEqual(['profile'])
    expect(messageCount(profile.dir)).toBe(3)
  })

  it('backup worker threads run at a lower priority than the thread that serves the window', async () => {
    const profile = await makeProfile({ messages: 5 })
    const files = readdirSync(profile.dir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile())
      .map((e) => ({ path: join(e.parentPath, e.name) }))
    let seen: Map<number, number> | null = null
    await hashFiles(files, () => (seen ??= threadNices()))
    const nices = seen as Map<number, number> | null
    expect(nices).not.toBeNull()
    // The main thread's id is the process id: it keeps its priority.
    expect(nices?.get(process.pid)).toBe(0)
    // The hashers, alive while their answers arrive, were lowered.
    expect([...(nices?.values() ?? [])].filter((nice) => nice === 10).length).toBeGreaterThan(0)
  })
})
