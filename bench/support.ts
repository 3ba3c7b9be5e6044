import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
/** Shared helpers for the benchmarks: deterministic text, timing and a table printer. */

/** A small deterministic PRNG (mulberry32), so every run generates the same corpus. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const COMMON = (
  'the of and to a in is it you that he was for on are with as his they be at one have this from or had by ' +
  'meeting project budget report team review schedule deadline invoice contract client proposal update ' +
  'thanks please attached call tomorrow week monday friday office travel flight hotel lunch dinner family ' +
  'photos weekend holiday question answer draft final version change release plan design code server bug'
).split(' ')

/** Words with a Zipf-like frequency: a few very common, a long tail of rare ones (like real mail). */
export function wordSource(random: () => number): () => string {
  const syllables = [
    'ka',
    'lo',
    'mi',
    'ra',
    'ten',
    'vo',
    'sel',
    'da',
    'qui',
    'no',
    'bre',
    'tas',
    'pel',
    'gor',
    'un',
    'est',
  ]
  const rare: string[] = []
  for (let i = 0; i < 20000; i++) {
    let word = ''
    const n = 2 + Math.floor(random() * 3)
    for (let j = 0; j < n; j++) word += syllables[Math.floor(random() * syllables.length)]
    rare.push(word)
  }
  return () => {
    const r = random()
    if (r < 0.55) return COMMON[Math.floor(Math.pow(random(), 2) * COMMON.length)] as string
    return rare[Math.floor(Math.pow(random(), 3) * rare.length)] as string
  }
}

export function sentence(word: () => string, count: number): string {
  const words: string[] = []
  for (let i = 0; i < count; i++) words.push(word())
  const text = words.join(' ')
  return text.charAt(0).toUpperCase() + text.slice(1) + '.'
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index] as number
}

export function timeMs(fn: () => void): number {
  const start = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - start) / 1e6
}

export async function timeMsAsync(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - start) / 1e6
}

/**
 * The longest time this thread's event loop could not run while `fn` ran:
 * what a UI served by this thread would have frozen for.
 */
export async function longestStall(fn: () => Promise<unknown>): Promise<number> {
  let longest = 0
  let last = performance.now()
  const timer = setInterval(() => {
    const now = performance.now()
    longest = Math.max(longest, now - last)
    last = now
  }, 1)
  try {
    await fn()
    // One more turn, so a stall at the very end is seen too.
    await new Promise((resolve) => setTimeout(resolve, 2))
  } finally {
    clearInterval(timer)
  }
  return Math.max(longest, performance.now() - last)
}

/** Print rows as an aligned table. */
export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))]
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  console.log(`\n${title}`)
  for (const [index, row] of cells.entries()) {
    console.log(
      row
        .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
        .join('  '),
    )
    if (index === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  }
}

export function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

/**
 * Write out what earlier runs left dirty, so that no timed run pays for
 * another's writeback (a gigabyte of it takes seconds on these disks).
 */
export function settle(): void {
  execFileSync('sync')
}

/**
 * The stock pipeline's restore (`unpack`, a shell script writing into `dir`)
 * timed twice, each after a settle into an empty `dir`: as it is, and ending
 * with `sync -f` (durable, as Cairn's restore is before its swap).
 */
export async function timePipelineRestores<T>(
  run: (script: string) => Promise<T>,
  unpack: string,
  dir: string,
): Promise<{ plain: T; durable: T }> {
  const timeInto = async (script: string) => {
    mkdirSync(dir)
    settle()
    try {
      return await run(script)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  const plain = await timeInto(unpack)
  const durable = await timeInto(`${unpack} && sync -f "${dir}"`)
  return { plain, durable }
}
