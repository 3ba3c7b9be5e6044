import type { ResourceLimits, Transferable } from 'node:worker_threads'
import { CairnError } from '../shared/errors.js'
import { fromWireError, type TaskReply, type TaskRequest } from './protocol.js'
import { WorkerThread } from './worker-thread.js'

export interface PoolOptions {
  /** What the threads do, as a user would say it ("the message parser"): used in messages. */
  label: string
  /** Threads serving at once. */
  size: number
  /**
   * Tasks handed to one thread before it answers: 1 keeps the blame exact
   * (a thread that dies held exactly one task); a few more keep a thread
   * busy while its owner is busy elsewhere.
   */
  perThread?: number
  /** The same workerData for every thread (e.g. which database to open). */
  workerData?: unknown
  resourceLimits?: ResourceLimits
  /** A task not answered within this time stops its thread (a hostile input looping a parser). */
  taskTimeoutMs?: number
  /** Threads dying this many times in a row, with no answer between, make the pool give up. */
  maxConsecutiveFailures?: number
  /** How long close() waits for a thread stuck in native code (see WorkerThread.stop). */
  stopTimeoutMs?: number
}

interface Pending<Task, Result> {
  id: number
  task: Task
  transfer: readonly Transferable[] | undefined
  resolve: (result: Result) => void
  reject: (error: CairnError) => void
  timer?: NodeJS.Timeout
}

interface Slot<Task, Result> {
  thread: WorkerThread<TaskRequest<Task>, TaskReply<Result>>
  held: Map<number, Pending<Task, Result>>
}

/**
 * A few worker threads, each running an entry that calls serveTasks(),
 * sharing a queue of tasks. A thread that dies is replaced; the tasks it
 * held fail with WORKER_STOPPED (the others go on); if threads keep dying
 * with nothing answered in between, the pool gives up and every task fails
 * with WORKER_UNAVAILABLE rather than restarting forever. close() fails
 * what is left and never hangs.
 */
export class WorkerPool<Task, Result> {
  private readonly slots: (Slot<Task, Result> | null)[]
  private readonly queue: Pending<Task, Result>[] = []
  private nextId = 0
  private consecutiveFailures = 0
  private broken: CairnError | null = null
  private closed = false

  constructor(
    private readonly file: string,
    private readonly options: PoolOptions,
  ) {
    this.slots = Array.from({ length: Math.max(1, options.size) }, () => null)
    // Started now, so that the first task does not wait for a thread to boot.
    for (let index = 0; index < this.slots.length; index++) this.slots[index] = this.spawn()
  }

  /** The threads now serving, for diagnostics and tests (a test stops one to see the pool recover). */
  get threads(): readonly WorkerThread[] {
    return this.slots.flatMap((slot) => (slot ? [slot.thread as WorkerThread] : []))
  }

  run(task: Task, transfer?: readonly Transferable[]): Promise<Result> {
    if (this.closed) return Promise.reject(this.closedError())
    if (this.broken) return Promise.reject(this.broken)
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, transfer, resolve, reject })
      this.dispatch()
    })
  }

  /** Stop every thread; tasks not yet answered fail with WORKER_UNAVAILABLE. Never hangs. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const error = this.closedError()
    for (const pending of this.queue.splice(0)) pending.reject(error)
    const stopping: Promise<void>[] = []
    for (const [index, slot] of this.slots.entries()) {
      if (!slot) continue
      this.slots[index] = null
      for (const pending of slot.held.values()) this.settle(pending, () => pending.reject(error))
      slot.held.clear()
      stopping.push(slot.thread.stop(this.options.stopTimeoutMs))
    }
    await Promise.all(stopping)
  }

  private spawn(): Slot<Task, Result> | null {
    let slot: Slot<Task, Result>
    try {
      slot = {
        held: new Map(),
        thread: new WorkerThread(this.file, {
          label: this.options.label,
          workerData: this.options.workerData,
          resourceLimits: this.options.resourceLimits,
          onFailure: (error) => this.threadFailed(slot, error),
        }),
      }
    } catch (error) {
      this.giveUp(
        new CairnError('WORKER_UNAVAILABLE', `${this.capitalLabel()} cannot start.`, {
          cause: error,
        }),
      )
      return null
    }
    slot.thread.onMessage((reply) => this.answered(slot, reply))
    // A thread ended by anyone but the pool (its handle's stop()) is a failure like any other.
    void slot.thread.exited.then(() =>
      this.threadFailed(
        slot,
        new CairnError('WORKER_STOPPED', `${this.capitalLabel()} was stopped.`),
      ),
    )
    return slot
  }

  private dispatch(): void {
    const perThread = this.options.perThread ?? 1
    while (this.queue.length > 0 && !this.broken && !this.closed) {
      let best = -1
      for (const [index, slot] of this.slots.entries()) {
        if (!slot) {
          this.slots[index] = this.spawn()
          if (this.broken) return
        }
        const held = this.slots[index]?.held.size ?? Infinity
        if (held < perThread && (best < 0 || held < (this.slots[best]?.held.size ?? Infinity)))
          best = index
      }
      const slot = best >= 0 ? this.slots[best] : null
      if (!slot) return // every thread is full: the next answer dispatches again
      const pending = this.queue.shift() as Pending<Task, Result>
      slot.held.set(pending.id, pending)
      if (this.options.taskTimeoutMs) {
        pending.timer = setTimeout(() => this.timedOut(slot), this.options.taskTimeoutMs)
        pending.timer.unref()
      }
      slot.thread.post({ id: pending.id, task: pending.task }, pending.transfer)
    }
  }

  private answered(slot: Slot<Task, Result>, reply: TaskReply<Result>): void {
    const pending = slot.held.get(reply.id)
    if (!pending) return
    slot.held.delete(reply.id)
    this.consecutiveFailures = 0
    if (reply.ok) this.settle(pending, () => pending.resolve(reply.result))
    else this.settle(pending, () => pending.reject(fromWireError(reply.error)))
    this.dispatch()
  }

  private threadFailed(slot: Slot<Task, Result>, error: CairnError): void {
    const index = this.slots.indexOf(slot)
    if (index < 0) return // already replaced or closed
    this.slots[index] = null
    void slot.thread.stop()
    const held = [...slot.held.values()]
    slot.held.clear()
    const blamed = new CairnError(
      'WORKER_STOPPED',
      `${error.message.replace(/\.$/, '')} while working on this.`,
    )
    for (const pending of held) this.settle(pending, () => pending.reject(blamed))
    this.consecutiveFailures += 1
    const limit = this.options.maxConsecutiveFailures ?? 3
    if (this.consecutiveFailures >= limit) {
      this.giveUp(
        new CairnError(
          'WORKER_UNAVAILABLE',
          `${this.capitalLabel()} keeps stopping (${this.consecutiveFailures} times in a row; last: ${error.message.replace(/\.$/, '')}).`,
        ),
      )
      return
    }
    this.dispatch()
  }

  private timedOut(slot: Slot<Task, Result>): void {
    const ms = this.options.taskTimeoutMs ?? 0
    const took =
      ms < 1_000
        ? `${ms} ms`
        : ms < 60_000
          ? `${Math.round(ms / 1_000)} s`
          : `${Math.round(ms / 60_000)} min`
    this.threadFailed(
      slot,
      new CairnError(
        'WORKER_STOPPED',
        `${this.capitalLabel()} took longer than ${took} and was stopped.`,
      ),
    )
  }

  private giveUp(error: CairnError): void {
    this.broken = error
    for (const pending of this.queue.splice(0)) pending.reject(error)
    for (const [index, slot] of this.slots.entries()) {
      if (!slot) continue
      this.slots[index] = null
      for (const pending of slot.held.values()) this.settle(pending, () => pending.reject(error))
      slot.held.clear()
      void slot.thread.stop()
    }
  }

  private settle(pending: Pending<Task, Result>, action: () => void): void {
    if (pending.timer) clearTimeout(pending.timer)
    action()
  }

  private closedError(): CairnError {
    return new CairnError('WORKER_UNAVAILABLE', `${this.capitalLabel()} was closed.`)
  }

  private capitalLabel(): string {
    const label = this.options.label
    return `${label.charAt(0).toUpperCase()}${label.slice(1)}`
  }
}
