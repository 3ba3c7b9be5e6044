import { errnoCode } from './errors.js'

/**
 * Whether a process of this machine still runs: used to tell a lock, a
 * partial file or a restore journal left by a crash from one still in use.
 */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return errnoCode(error) === 'EPERM'
  }
}
