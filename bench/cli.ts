/**
 * npm run bench:cli — how fast the command line starts: the wall time of
 * `cairn --help` (bin/cairn.js, as npx and npm link run it) over repeated
 * runs, beside `node -e 0`, the floor any Node program pays.
 * Target (issue 7): cairn --help ≤ 300 ms.
 *
 *   CAIRN_BENCH_RUNS=50 npm run bench:cli
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fmt, percentile, printTable } from './support.js'

const RUNS = Number(process.env.CAIRN_BENCH_RUNS ?? 30)
const root = join(fileURLToPath(import.meta.url), '..', '..', '..')

function startTimes(args: string[]): number[] {
  const times: number[] = []
  for (let i = 0; i < RUNS + 2; i++) {
    const started = process.hrtime.bigint()
    const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${String(result.stderr)}`)
    if (i >= 2) times.push(ms) // the first two warm the file cache
  }
  return times.sort((a, b) => a - b)
}

const cairn = startTimes([join(root, 'bin', 'cairn.js'), '--help'])
const node = startTimes(['-e', '0'])
const row = (name: string, times: number[], target: string) => [
  name,
  fmt(percentile(times, 50), 0),
  fmt(percentile(times, 95), 0),
  fmt(times[0] ?? NaN, 0),
  target,
]
printTable(
  `Command line start: ${RUNS} runs each (ms, wall time of the whole process)`,
  ['command', 'p50', 'p95', 'min', 'target'],
  [row('cairn --help (Cairn)', cairn, '≤ 300'), row('node -e 0 (reference)', node, '')],
)
