import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { CairnError, errnoCode } from '../shared/errors.js'
import { processAlive } from '../shared/process-alive.js'

export interface ProfileLock {
  readonly path: string
  release(): void
}

interface LockOwner {
  pid: number
  host: string
  since: string
}

/**
 * Take the profile's lock file, so that two processes (two app windows, the
 * app and the CLI) never open one profile at once. The file records who holds
 * it; a lock left by a process that no longer runs on this machine is taken
 * over. The lock is released on release() or when the process exits.
 */
export function acquireProfileLock(lockPath: string): ProfileLock {
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number
    try {
      fd = openSync(lockPath, 'wx', 0o600)
    } catch (error) {
      const code = errnoCode(error)
      if (code === 'EEXIST') {
        const owner = readOwner(lockPath)
        if (owner && isAlive(owner)) {
          throw new CairnError(
            'PROFILE_LOCKED',
            `This profile is already open in another Cairn process (pid ${owner.pid} on ${owner.host}, since ${owner.since}). ` +
              'Close it first, or choose another profile with --profile.',
          )
        }
        // A crash left the lock behind: its owner is gone, so take it over.
        rmSync(lockPath, { force: true })
        continue
      }
      throw lockFailure(lockPath, error)
    }
    const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() }
    writeSync(fd, JSON.stringify(owner))
    closeSync(fd)
    return holdLock(lockPath)
  }
  throw new CairnError(
    'PROFILE_LOCKED',
    `Could not take the profile lock at ${lockPath}; try again.`,
  )
}

function holdLock(path: string): ProfileLock {
  let held = true
  const release = () => {
    if (!held) return
    held = false
    process.removeListener('exit', release)
    // Only remove the lock if it is still ours (a restore may have swapped the folder).
    const owner = readOwner(path)
    if (owner?.pid === process.pid && owner.host === hostname()) rmSync(path, { force: true })
  }
  process.on('exit', release)
  return { path, release }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'))
    if (typeof parsed === 'object' && parsed !== null) {
      const { pid, host, since } = parsed as Record<string, unknown>
      if (typeof pid === 'number' && typeof host === 'string') {
        return { pid, host, since: typeof since === 'string' ? since : 'unknown' }
      }
    }
  } catch {
    // unreadable or half-written: treated as no owner
  }
  return undefined
}

function isAlive(owner: LockOwner): boolean {
  // A lock taken on another machine (a profile on a shared drive) cannot be checked: respect it.
  if (owner.host !== hostname()) return true
  return processAlive(owner.pid)
}

function lockFailure(path: string, error: unknown): CairnError {
  const code = errnoCode(error)
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new CairnError(
      'PROFILE_UNAVAILABLE',
      `Cairn cannot write to the profile folder (${path}): it is read-only or you lack permission. ` +
        'Fix its permissions, or choose another folder with --profile.',
      { cause: error },
    )
  }
  if (code === 'ENOSPC') {
    return new CairnError('DISK_FULL', `The disk holding the profile (${path}) is full.`, {
      cause: error,
    })
  }
  return new CairnError(
    'PROFILE_UNAVAILABLE',
    `Cairn cannot lock its profile (${path}): ${String(code ?? error)}.`,
    { cause: error },
  )
}
