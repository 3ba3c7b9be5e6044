import { readdirSync, readFileSync } from 'node:fs'

interface ProcStat {
  pid: number
  state: string
  ppid: number
  session: number
  /** CPU ticks (USER_HZ, 100 a second on Linux) the process used, and its reaped children. */
  ticks: number
  childTicks: number
}

/** /proc/PID/stat's state, parent, session and CPU (comm may hold spaces and parentheses: fields follow the last ')'). */
function procStat(pid: number): ProcStat | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const [state = '', ppid, , session] = fields
    const at = (i: number) => Number(fields[i])
    return {
      pid,
      state,
      ppid: Number(ppid),
      session: Number(session),
      ticks: at(11) + at(12), // utime, stime
      childTicks: at(13) + at(14), // cutime, cstime
    }
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

/**
 * CPU milliseconds session `sid` has used so far: every live member, plus
 * the ended children its leader reaped (the kernel adds theirs to the
 * leader's). Other load on the machine does not count.
 */
export function sessionCpuMs(sid: number): number {
  const ticks = allProcesses()
    .filter((p) => p.session === sid)
    .reduce((sum, p) => sum + p.ticks + (p.pid === sid ? p.childTicks : 0), 0)
  return ticks * 10
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
