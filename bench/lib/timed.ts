import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Timing a command from a benchmark: wall and CPU seconds, and Cairn's peak RSS (reported by a -r hook). */
export interface Timing {
  seconds: number
  /** CPU seconds (user + system) of the command and everything it ran: load elsewhere does not count. */
  cpuSeconds: number
  rssMb: number | null
  stdout: string
}

/**
 * bash's `times` after the command: its second line is the CPU of every
 * child the shell waited for, with theirs (a pipeline's four processes, or
 * Cairn and its threads).
 */
const TIMES_MARK = 'CAIRN_CHILD_TIMES'
const withTimes = `"$@"; rc=$?; echo ${TIMES_MARK} >&2; times >&2; exit $rc`

export function childCpuSeconds(stderr: string): number {
  const after = stderr.slice(stderr.lastIndexOf(TIMES_MARK))
  const lines = [...after.matchAll(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/g)]
  const children = lines[1]
  if (!children) return NaN
  const [, um, us, sm, ss] = children.map(Number) as number[]
  return (um ?? 0) * 60 + (us ?? 0) + (sm ?? 0) * 60 + (ss ?? 0)
}

/** Run a command, returning wall and CPU seconds and (for Cairn) its peak RSS. */
export function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn('bash', ['-c', withTimes, 'bash', command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    })
    let stderr = ''
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      if (code !== 0) {
        reject(new Error(`${command} ${args.join(' ')} failed (${code}): ${stderr}`))
        return
      }
      const rss = /CAIRN_MAXRSS_KB=(\d+)/.exec(stderr)
      resolve({
        seconds,
        cpuSeconds: childCpuSeconds(stderr),
        rssMb: rss ? Number(rss[1]) / 1024 : null,
        stdout,
      })
    })
  })
}

/** A `node -r` hook, written into `dir`, that prints the process's peak RSS for timed() to read. */
export function writeRssHook(dir: string): string {
  const path = join(dir, 'rss-hook.cjs')
  writeFileSync(
    path,
    "process.on('exit',()=>require('fs').writeSync(2,'\\nCAIRN_MAXRSS_KB='+process.resourceUsage().maxRSS+'\\n'))\n",
  )
  return path
}
