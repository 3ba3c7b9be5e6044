import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CairnError, isCairnError } from '../../main/shared/errors'
import { startJob } from '../../main/workers/job'
import { WorkerPool } from '../../main/workers/pool'
import { testWorker } from '../support/test-workers'
import type { TestJobInput } from '../support/workers/job'
import type { TestTask } from '../support/workers/tasks'

type Answer = { value: string; threadId: number }

let tasksFile: string
let jobFile: string
beforeAll(async () => {
  tasksFile = await testWorker('tasks')
  jobFile = await testWorker('job')
})

const pools: WorkerPool<TestTask, Answer>[] = []
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()))
})

function pool(options: Partial<ConstructorParameters<typeof WorkerPool>[1]> = {}) {
  const p = new WorkerPool<TestTask, Answer>(tasksFile, {
    label: 'the test worker',
    size: 2,
    ...options,
  })
  pools.push(p)
  return p
}

async function failure(promise: Promise<unknown>): Promise<CairnError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  if (!(error instanceof CairnError)) throw new Error(`expected a CairnError, got ${String(error)}`)
  return error
}

describe('worker pool', () => {
  it('answers tasks on several threads, and brings a task’s own error back typed', async () => {
    const p = pool()
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => p.run({ kind: 'slow', value: `v${i}`, ms: 5 })),
    )
    expect(answers.map((a) => a.value)).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`))
    expect(new Set(answers.map((a) => a.threadId)).size).toBe(2)
    const error = await failure(p.run({ kind: 'fail', message: 'its header is broken' }))
    expect(error.code).toBe('MESSAGE_MALFORMED')
    expect(error.message).toBe('its header is broken')
  })

  it('replaces a thread that exits mid-task; only the task it held fails, with a clear error', async () => {
    const p = pool({ perThread: 1 })
    const before = p.threads.map((t) => t.threadId)
    const slow = p.run({ kind: 'slow', value: 'survivor', ms: 300 })
    const dying = p.run({ kind: 'exit', code: 3 })
    const error = await failure(dying)
    expect(error.code).toBe('WORKER_STOPPED')
    expect(error.message).toBe(
      'The test worker stopped unexpectedly (exit code 3) while working on this.',
    )
    expect((await slow).value).toBe('survivor')
    const after = await Promise.all([
      p.run({ kind: 'echo', value: 'a' }),
      p.run({ kind: 'echo', value: 'b' }),
    ])
    expect(after.map((a) => a.value)).toEqual(['a', 'b'])
    const now = p.threads.map((t) => t.threadId)
    expect(now).toHaveLength(2)
    expect(now.filter((id) => !before.includes(id))).toHaveLength(1)
  })

  it('fails the task of a thread stopped through its handle, and goes on', async () => {
    const p = pool({ size: 1 })
    const held = p.run({ kind: 'slow', value: 'never', ms: 10_000 })
    await new Promise((resolve) => setTimeout(resolve, 50))
    await p.threads[0]?.stop()
    const error = await failure(held)
    expect(error.code).toBe('WORKER_STOPPED')
    expect(error.message).toMatch(/^The test worker was stopped while working on this\.$/)
    expect((await p.run({ kind: 'echo', value: 'again' })).value).toBe('again')
  })

  it('reports an uncaught error in a thread as the reason it stopped', async () => {
    const p = pool({ size: 1 })
    const error = await failure(p.run({ kind: 'crash' }))
    expect(error.code).toBe('WORKER_STOPPED')
    expect(error.message).toBe('The test worker stopped: boom in the worker while working on this.')
    expect((await p.run({ kind: 'echo', value: 'ok' })).value).toBe('ok')
  })

  it('gives up, failing every waiting task, when threads keep dying', async () => {
    const p = pool({ size: 1, maxConsecutiveFailures: 3 })
    const tasks = [
      p.run({ kind: 'exit', code: 9 }),
      p.run({ kind: 'exit', code: 9 }),
      p.run({ kind: 'exit', code: 9 }),
      p.run({ kind: 'echo', value: 'waiting behind them' }),
    ]
    const errors = await Promise.all(tasks.map(failure))
    // Each of the first three was held by the thread that died with it…
    expect(errors.slice(0, 3).map((e) => e.code)).toEqual([
      'WORKER_STOPPED',
      'WORKER_STOPPED',
      'WORKER_STOPPED',
    ])
    // …and the one waiting behind them is failed, not left pending.
    expect(errors[3]?.code).toBe('WORKER_UNAVAILABLE')
    expect(errors[3]?.message).toBe(
      'The test worker keeps stopping (3 times in a row; last: The test worker stopped unexpectedly (exit code 9)).',
    )
    const later = await failure(p.run({ kind: 'echo', value: 'late' }))
    expect(later.code).toBe('WORKER_UNAVAILABLE')
    expect(p.threads).toHaveLength(0)
  })

  it('counts only failures in a row: an answer in between resets the count', async () => {
    const p = pool({ size: 1, maxConsecutiveFailures: 2 })
    for (let round = 0; round < 4; round++) {
      expect((await failure(p.run({ kind: 'exit', code: 1 }))).code).toBe('WORKER_STOPPED')
      expect((await p.run({ kind: 'echo', value: `round ${round}` })).value).toBe(`round ${round}`)
    }
  })

  it('stops a thread whose task runs past the time limit, and goes on', async () => {
    // The limit also covers the replacement thread's start-up (the echo
    // below), which takes far longer than usual on a loaded machine.
    const p = pool({ size: 1, taskTimeoutMs: 2_000 })
    const error = await failure(p.run({ kind: 'loop' }))
    expect(error.code).toBe('WORKER_STOPPED')
    expect(error.message).toBe(
      'The test worker took longer than 2 s and was stopped while working on this.',
    )
    expect((await p.run({ kind: 'echo', value: 'after the loop' })).value).toBe('after the loop')
  })

  it('closes without waiting for held work, failing it and whatever was queued', async () => {
    const p = pool({ size: 1 })
    const held = failure(p.run({ kind: 'slow', value: 'held', ms: 30_000 }))
    const queued = failure(p.run({ kind: 'echo', value: 'queued' }))
    await new Promise((resolve) => setTimeout(resolve, 50))
    const started = Date.now()
    await p.close()
    expect(Date.now() - started).toBeLessThan(2_000)
    for (const error of await Promise.all([held, queued])) {
      expect(error.code).toBe('WORKER_UNAVAILABLE')
      expect(error.message).toBe('The test worker was closed.')
    }
    expect((await failure(p.run({ kind: 'echo', value: 'x' }))).code).toBe('WORKER_UNAVAILABLE')
  })

  it('closes even when a thread is stuck in native code, letting go of it', async () => {
    const p = pool({ size: 1, stopTimeoutMs: 300 })
    const stuck = failure(p.run({ kind: 'native-wait', seconds: 3 }))
    await new Promise((resolve) => setTimeout(resolve, 100))
    const started = Date.now()
    await p.close()
    expect(Date.now() - started).toBeLessThan(1_500)
    expect((await stuck).code).toBe('WORKER_UNAVAILABLE')
  })
})

describe('worker job', () => {
  function job(input: TestJobInput, signal?: AbortSignal) {
    const progress: number[] = []
    const handle = startJob<TestJobInput, number, string>(jobFile, input, {
      label: 'the test job',
      signal,
      onProgress: (p) => progress.push(p),
    })
    return { handle, progress }
  }

  it('reports progress, then its result', async () => {
    const { handle, progress } = job({ kind: 'count', to: 5 })
    expect(await handle.result).toBe('counted to 5')
    expect(progress).toEqual([1, 2, 3, 4, 5])
  })

  it('brings back a typed error, and words an unexpected one', async () => {
    const typed = await failure(job({ kind: 'fail' }).handle.result)
    expect(typed.code).toBe('DISK_FULL')
    expect(typed.message).toBe('The disk is full.')
    const unexpected = await failure(job({ kind: 'throw' }).handle.result)
    expect(unexpected.code).toBe('INTERNAL')
    expect(unexpected.message).toBe('The test job failed: undefined is not a function')
  })

  it('is cancelled through its signal', async () => {
    const controller = new AbortController()
    const { handle } = job({ kind: 'until-cancelled' }, controller.signal)
    setTimeout(() => controller.abort(), 50)
    expect(await handle.result).toBe('cancelled cleanly')
  })

  it('fails with a clear error when its thread dies, instead of never ending', async () => {
    const { handle, progress } = job({ kind: 'exit-after-progress' })
    const error = await failure(handle.result)
    expect(error.code).toBe('WORKER_STOPPED')
    expect(error.message).toBe('The test job stopped unexpectedly (exit code 7).')
    expect(progress).toEqual([1])
  })

  it('can be stopped at once when it ignores a cancel', async () => {
    const { handle } = job({ kind: 'ignore-cancel' })
    handle.cancel()
    const reason = new CairnError('IMPORT_CANCELLED', 'Stopped because Cairn closed.')
    const started = Date.now()
    await handle.stop(reason)
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(await failure(handle.result)).toBe(reason)
    expect(isCairnError(await failure(handle.result), 'IMPORT_CANCELLED')).toBe(true)
  })

  it('is stopped after a grace period when it ignores a cancel, if asked to', async () => {
    const handle = startJob<TestJobInput, number, string>(
      jobFile,
      { kind: 'ignore-cancel' },
      {
        label: 'the test job',
        stopAfterCancelMs: 200,
        stoppedReason: () => new CairnError('BACKUP_CANCELLED', 'Stopped after its grace period.'),
      },
    )
    const started = Date.now()
    handle.cancel()
    const error = await failure(handle.result)
    expect(error.code).toBe('BACKUP_CANCELLED')
    expect(Date.now() - started).toBeGreaterThanOrEqual(150)
    await handle.thread.exited
  })

  it('is not stopped when it winds down within the grace period', async () => {
    const controller = new AbortController()
    const handle = startJob<TestJobInput, number, string>(
      jobFile,
      { kind: 'until-cancelled' },
      { label: 'the test job', signal: controller.signal, stopAfterCancelMs: 5_000 },
    )
    controller.abort()
    expect(await handle.result).toBe('cancelled cleanly')
  })
})
