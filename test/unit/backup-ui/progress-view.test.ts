import { describe, expect, it } from 'vitest'
import {
  BACKUP_PHASES,
  ProgressTracker,
  RESTORE_PHASES,
} from '../../../renderer/backup/progress-view'

const MB = 1024 * 1024

describe('backup progress in words', () => {
  it('shows bytes, speed and time left once there is enough to tell', () => {
    const tracker = new ProgressTracker(BACKUP_PHASES)
    let view = tracker.push({ phase: 'writing', bytesDone: 0, bytesTotal: 1000 * MB, at: 0 })
    expect(view.speed).toBeNull()
    expect(view.timeLeft).toBeNull()
    view = tracker.push({ phase: 'writing', bytesDone: 100 * MB, bytesTotal: 5000 * MB, at: 1000 })
    expect(view.label).toBe('Encrypting and writing')
    expect(view.amount).toBe('100 MB of 4.9 GB')
    expect(view.speed).toBe('100 MB/s')
    // 4900 MB left at 100 MB/s: 49 s.
    expect(view.timeLeft).toBe('about 50 seconds left')
    view = tracker.push({ phase: 'writing', bytesDone: 4500 * MB, bytesTotal: 5000 * MB, at: 3000 })
    expect(view.timeLeft).toBe('a few seconds left')
  })

  it('counts both phases of a backup in one bar, the earlier phase first', () => {
    const tracker = new ProgressTracker(BACKUP_PHASES)
    const half = tracker.push({ phase: 'snapshot', bytesDone: 50, bytesTotal: 100, at: 0 })
    expect(half.percent).toBeCloseTo(17.5, 1)
    const done = tracker.push({ phase: 'writing', bytesDone: 100, bytesTotal: 100, at: 10 })
    expect(done.percent).toBe(100)
  })

  it('adds the time of the phases still to come to the time left', () => {
    const tracker = new ProgressTracker(BACKUP_PHASES)
    tracker.push({ phase: 'snapshot', bytesDone: 0, bytesTotal: 3500 * MB, at: 0 })
    const view = tracker.push({
      phase: 'snapshot',
      bytesDone: 350 * MB,
      bytesTotal: 3500 * MB,
      at: 1000,
    })
    // 9 s for the rest of hashing, then writing: 0.65/0.35 of hashing's 10 s, 18.6 s; 27.6 s in all.
    expect(view.timeLeft).toBe('about 30 seconds left')
  })

  it('measures speed over the last few seconds, not since the start', () => {
    const tracker = new ProgressTracker(BACKUP_PHASES)
    tracker.push({ phase: 'writing', bytesDone: 0, bytesTotal: 10_000 * MB, at: 0 })
    // Fast at first, then slow: the speed shown follows the slow part.
    tracker.push({ phase: 'writing', bytesDone: 5000 * MB, bytesTotal: 10_000 * MB, at: 1000 })
    for (let t = 2000; t <= 12_000; t += 1000)
      tracker.push({
        phase: 'writing',
        bytesDone: 5000 * MB + ((t - 1000) / 1000) * 10 * MB,
        bytesTotal: 10_000 * MB,
        at: t,
      })
    expect(tracker.view().speed).toBe('10 MB/s')
  })

  it('has restore phases that sum to the whole', () => {
    const sum = (phases: Record<string, { weight: number }>) =>
      Object.values(phases).reduce((s, p) => s + p.weight, 0)
    expect(sum(BACKUP_PHASES)).toBeCloseTo(1, 5)
    expect(sum(RESTORE_PHASES)).toBeCloseTo(1, 5)
  })
})
