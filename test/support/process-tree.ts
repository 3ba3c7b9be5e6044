import { readdirSync, readFileSync } from 'node:fs'

interface ProcStat {
  pid: number
  state: string
  ppid: number
  session: number
}

/** /proc/PID/stat's state, parent and session (comm may hold spaces and parentheses: fields follow the last ')'). */
function procStat(pid: number): ProcStat | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const [state = '', ppid, , session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { pid, state, ppid: Number(ppid), session: Number(session) }
  } catch {
    return null // gone meanwhile
  }
}

function allProcesses(): ProcStat[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => procStat(Number(name)) ?? [])
}

/** The processes under `pid` (children, grandchildren …), from /proc, deepest last. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>()
  for (const { pid: child, ppid } of allProcesses())
    parents.set(ppid, [...(parents.get(ppid) ?? []), child])
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
 * The processes of session `sid` (a daemon that called setsid, and all it
 * forked): unlike descendants(), this finds a child reparented to init after
 * its parent died.
 */
export function sessionMembers(sid: number): number[] {
  return allProcesses()
    .filter((p) => p.session === sid)
    .map((p) => p.pid)
}

/** Whether `pid` is a zombie (killed, not yet reaped: gone all the same) or gone. */
export function isZombieOrGone(pid: number): boolean {
  const stat = procStat(pid)
  return stat === null || stat.state === 'Z'
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
