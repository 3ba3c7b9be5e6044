import { readdirSync, readFileSync } from 'node:fs'

/** The processes under `pid` (children, grandchildren …), from /proc, deepest last. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      // comm may hold spaces and parentheses: the parent pid follows the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)])
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = []
  const walk = (parent: number) => {
    for (const child of parents.get(parent) ?? []) {
      found.push(child)
      walk(child)
    }
  }
  walk(pid)
  return found
}

/**
 * Kill a server this test started, and every process it forked (a server
 * "killed" mid-request: its per-connection workers die with it), by pid.
 */
export function killTree(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const child of [pid, ...descendants(pid)]) {
    try {
      process.kill(child, signal)
    } catch {
      // already gone
    }
  }
}
