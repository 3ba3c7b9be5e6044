import type { Transferable } from 'node:worker_threads'
import { CairnError } from '../shared/errors.js'
import { fromWireError, type JobReply, type JobRequest } from './protocol.js'
import { WorkerThread } from './worker-thread.js'

export interface JobOptions<Progress> {
  /** What the job is, as a user would say it ("the import"): used in messages. */
  label: string
  transferList?: readonly Transferable[]
  /** Aborting asks the job to cancel itself (it decides what a cancel keeps). */
  signal?: AbortSignal
  onProgress?: (progress: Progress) => void
  /**
   * After a cancel, how long the job may take to wind down (commit what it
   * has) before its thread is stopped and the result fails with
   * `stoppedReason`. Without it, a job that ignores a cancel runs on.
   */
  stopAfterCancelMs?: number
  stoppedReason?: () => CairnError
}

export interface JobHandle<Result, Progress = unknown> {
  /** The job's result; rejects with its CairnError, or WORKER_STOPPED if its thread died. */
  readonly result: Promise<Result>
  /** Ask the job to stop early (same as aborting the signal). */
  cancel(): void
  /**
   * End the thread now, without waiting for the job to wind down; the result
   * rejects with `reason` if it had not settled. Never hangs.
   */
  stop(reason: CairnError): Promise<void>
  readonly thread: WorkerThread<JobRequest, JobReply<Progress, Result>>
}

/**
 * Run one job in a worker thread whose entry calls serveJob(): its input
 * goes as workerData; progress, the result or a typed error come back. A
 * thread that dies (a crash, out of memory, process.exit) rejects the
 * result with a clear WORKER_STOPPED error instead of leaving it pending.
 */
export function startJob<Input, Progress, Result>(
  file: string,
  input: Input,
  options: JobOptions<Progress>,
): JobHandle<Result, Progress> {
  let settle!: { resolve: (result: Result) => void; reject: (error: CairnError) => void }
  let settled = false
  const result = new Promise<Result>((resolve, reject) => (settle = { resolve, reject }))
  // Marked handled: a caller that stop()s a job need not also wait for its result.
  result.catch(() => undefined)
  const finish = (action: () => void) => {
    if (settled) return
    settled = true
    clearTimeout(deadline)
    options.signal?.removeEventListener('abort', cancel)
    action()
    void thread.stop()
  }
  let deadline: NodeJS.Timeout | undefined
  const cancel = () => {
    if (settled || !thread.alive) return
    thread.post({ type: 'cancel' })
    if (options.stopAfterCancelMs === undefined || deadline) return
    deadline = setTimeout(() => {
      const reason =
        options.stoppedReason?.() ??
        new CairnError(
          'WORKER_STOPPED',
          `${capitalized(options.label)} was stopped: it did not end after being cancelled.`,
        )
      finish(() => settle.reject(reason))
    }, options.stopAfterCancelMs)
    deadline.unref()
  }
  const thread: WorkerThread<JobRequest, JobReply<Progress, Result>> = new WorkerThread(file, {
    label: options.label,
    workerData: input,
    transferList: options.transferList,
    onFailure: (error) => finish(() => settle.reject(error)),
  })
  // Ended by anyone else (its handle's stop()) before answering: a failure like any other.
  void thread.exited.then(() =>
    finish(() =>
      settle.reject(new CairnError('WORKER_STOPPED', `${capitalized(options.label)} was stopped.`)),
    ),
  )
  thread.onMessage((message) => {
    if (message.type === 'progress') {
      if (!settled) options.onProgress?.(message.progress)
    } else if (message.type === 'done') finish(() => settle.resolve(message.result))
    else finish(() => settle.reject(fromWireError(message.error)))
  })
  if (options.signal?.aborted) cancel()
  else options.signal?.addEventListener('abort', cancel)
  return {
    result,
    cancel,
    thread,
    stop(reason) {
      finish(() => settle.reject(reason))
      return thread.stop()
    },
  }
}

/** startJob(), for callers that need only the result. */
export function runJob<Input, Progress, Result>(
  file: string,
  input: Input,
  options: JobOptions<Progress>,
): Promise<Result> {
  return startJob<Input, Progress, Result>(file, input, options).result
}

function capitalized(label: string): string {
  return `${label.charAt(0).toUpperCase()}${label.slice(1)}`
}
