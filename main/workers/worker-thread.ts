import { Worker, type ResourceLimits, type Transferable } from 'node:worker_threads'
import { CairnError, describeError } from '../shared/errors.js'
import { STOP_REQUEST } from './protocol.js'

/** How long stop() waits for a thread to end before letting go of it. */
export const STOP_TIMEOUT_MS = 5_000

/** How long a thread has to end by itself when asked, before it is terminated. */
const POLITE_STOP_MS = 2_000

export interface WorkerThreadOptions {
  /** What the thread does, as a user would say it ("the message parser"): used in messages. */
  label: string
  workerData?: unknown
  transferList?: readonly Transferable[]
  resourceLimits?: ResourceLimits
  /**
   * Called once when the thread fails: an uncaught error, running out of
   * memory, or an exit that nobody asked for (process.exit, a crash).
   */
  onFailure?: (error: CairnError) => void
}

/**
 * One worker thread, started from a bundled entry file: the only place in
 * Cairn that calls `new Worker`. It turns every way a thread can end on its
 * own into one typed failure (WORKER_STOPPED, worded for the user), and its
 * stop() never hangs: a thread stuck in native code (a long SQLite query)
 * is let go of after STOP_TIMEOUT_MS instead of holding up the caller.
 */
export class WorkerThread<In = unknown, Out = unknown> {
  private readonly worker: Worker
  private stopping: Promise<void> | null = null
  private failure: CairnError | null = null
  private ended = false
  /** Resolves when the thread has ended, for whatever reason. */
  readonly exited: Promise<void>

  constructor(
    file: string,
    private readonly options: WorkerThreadOptions,
  ) {
    this.worker = new Worker(file, {
      workerData: options.workerData,
      transferList: options.transferList as Transferable[] | undefined,
      resourceLimits: options.resourceLimits,
    })
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.ended = true
        if (!this.stopping) this.fail(`stopped unexpectedly (exit code ${code})`)
        resolve()
      })
    })
    this.worker.on('error', (error) => this.fail(`stopped: ${describeError(error)}`))
    this.worker.on('messageerror', (error) =>
      this.fail(`sent a message that could not be read (${describeError(error)})`),
    )
  }

  get label(): string {
    return this.options.label
  }

  get threadId(): number {
    return this.worker.threadId
  }

  /** Whether the thread is still running and not being stopped. */
  get alive(): boolean {
    return !this.ended && !this.stopping && !this.failure
  }

  onMessage(listener: (message: Out) => void): void {
    this.worker.on('message', listener)
  }

  post(message: In, transfer?: readonly Transferable[]): void {
    this.worker.postMessage(message, transfer as Transferable[] | undefined)
  }

  /**
   * End the thread. Resolves once it has ended or, if it does not end within
   * `timeoutMs` (stuck in native code), once it has been let go of: it no
   * longer keeps the process alive. Safe to call more than once.
   */
  stop(timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      if (this.ended) {
        resolve()
        return
      }
      const timer = setTimeout(() => {
        this.worker.unref()
        resolve()
      }, timeoutMs)
      timer.unref()
      // First ask: the thread ends between two pieces of work. Terminating a
      // thread inside a native call (zstd) can abort the whole process, so
      // terminate() is only for a thread that does not answer in time.
      const impatient = setTimeout(
        () => void this.worker.terminate().catch(() => undefined),
        Math.min(POLITE_STOP_MS, timeoutMs),
      )
      impatient.unref()
      void this.exited.then(() => {
        clearTimeout(timer)
        clearTimeout(impatient)
        resolve()
      })
      try {
        this.worker.postMessage(STOP_REQUEST)
      } catch {
        void this.worker.terminate().catch(() => undefined)
      }
    })
    return this.stopping
  }

  private fail(what: string): void {
    if (this.failure || this.stopping) return
    const label = this.options.label
    this.failure = new CairnError(
      'WORKER_STOPPED',
      `${label.charAt(0).toUpperCase()}${label.slice(1)} ${what}.`,
    )
    // A thread that sent an unreadable message may still run: it is not to be trusted further.
    void this.worker.terminate()
    this.options.onFailure?.(this.failure)
  }
}
