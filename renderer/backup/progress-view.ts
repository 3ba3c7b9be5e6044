import { formatBytes } from '../../common/format'
import { formatDuration } from '../../common/relative-time'

/** One progress event of a backup (or a restore), with when it arrived. */
export interface ProgressSample {
  phase: string
  bytesDone: number
  bytesTotal: number
  /** Milliseconds (performance.now() or Date.now(); only differences count). */
  at: number
}

export interface ProgressView {
  /** What is happening, in words. */
  label: string
  /** 0–100 over the whole job (all its phases). */
  percent: number
  /** "120 MB of 1.0 GB" for the current phase. */
  amount: string
  /** "85 MB/s", or null until there is enough to tell. */
  speed: string | null
  /** "about 10 seconds left", or null until there is enough to tell. */
  timeLeft: string | null
}

/**
 * A phase of a job, in the order they run, with its share of the whole and
 * its label. A backup first checks (hashes) every file, then encrypts and
 * writes the same bytes; a restore checks and unpacks, then swaps.
 */
export interface PhaseInfo {
  label: string
  /** Fraction of the whole job this phase takes (all phases sum to 1). */
  weight: number
}

export const BACKUP_PHASES: Record<string, PhaseInfo> = {
  snapshot: { label: 'Checking files', weight: 0.35 },
  writing: { label: 'Encrypting and writing', weight: 0.65 },
}

export const RESTORE_PHASES: Record<string, PhaseInfo> = {
  'opening-key': { label: 'Opening the key', weight: 0.02 },
  checking: { label: 'Checking and unpacking the backup', weight: 0.9 },
  replacing: { label: 'Replacing the mailbox', weight: 0.06 },
  reopening: { label: 'Opening the restored mailbox', weight: 0.02 },
}

/** How far back speed is measured: long enough to smooth bursts, short enough to follow changes. */
const WINDOW_MS = 4000

/**
 * Speed and time left from progress events: bytes per second over the last
 * few seconds of the current phase, and the time the rest of this phase
 * and the phases after it will take at that speed (later phases handle the
 * same bytes).
 */
export class ProgressTracker {
  private samples: ProgressSample[] = []

  constructor(private readonly phases: Record<string, PhaseInfo>) {}

  push(sample: ProgressSample): ProgressView {
    const last = this.samples[this.samples.length - 1]
    if (last && last.phase !== sample.phase) this.samples = []
    this.samples.push(sample)
    while (
      this.samples.length > 2 &&
      sample.at - (this.samples[1] as ProgressSample).at > WINDOW_MS
    )
      this.samples.shift()
    return this.view()
  }

  reset(): void {
    this.samples = []
  }

  view(): ProgressView {
    const latest = this.samples[this.samples.length - 1]
    if (!latest) return { label: 'Starting…', percent: 0, amount: '', speed: null, timeLeft: null }
    const names = Object.keys(this.phases)
    const index = Math.max(0, names.indexOf(latest.phase))
    const info = this.phases[latest.phase] ?? { label: latest.phase, weight: 1 }
    const fraction = latest.bytesTotal > 0 ? Math.min(1, latest.bytesDone / latest.bytesTotal) : 0
    const before = names.slice(0, index).reduce((sum, n) => sum + (this.phases[n]?.weight ?? 0), 0)
    const percent = Math.min(100, Math.round((before + info.weight * fraction) * 1000) / 10)
    const first = this.samples[0] as ProgressSample
    const seconds = (latest.at - first.at) / 1000
    const rate = seconds >= 0.5 ? (latest.bytesDone - first.bytesDone) / seconds : 0
    let speed: string | null = null
    let timeLeft: string | null = null
    if (rate > 0) {
      speed = `${formatBytes(Math.round(rate))}/s`
      // Later phases go over the same bytes at their own pace: scale by their share.
      const after = names
        .slice(index + 1)
        .reduce((sum, n) => sum + (this.phases[n]?.weight ?? 0), 0)
      const remainingHere = (latest.bytesTotal - latest.bytesDone) / rate
      const perWeight = latest.bytesTotal / rate / Math.max(info.weight, 0.01)
      const left = remainingHere + after * perWeight
      timeLeft = left < 10 ? 'a few seconds left' : `about ${formatDuration(left)} left`
    }
    return {
      label: info.label,
      percent,
      amount:
        latest.bytesTotal > 0
          ? `${formatBytes(latest.bytesDone)} of ${formatBytes(latest.bytesTotal)}`
          : '',
      speed,
      timeLeft,
    }
  }
}
