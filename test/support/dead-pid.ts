import { spawnSync } from 'node:child_process'

/** The id of a process that has just ended: what a crashed writer leaves in its temporary names. */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
  return Number(child.stdout.toString())
}
