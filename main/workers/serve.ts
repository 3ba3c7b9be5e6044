/**
 * The worker side of the runner: a worker entry calls serveJob() or
 * serveTasks() once, with the function that does its work. Failures cross
 * as typed errors (protocol.ts); the parent side is job.ts and pool.ts.
 */
import { parentPort, workerData, type MessagePort, type Transferable } from 'node:worker_threads'
import {
  isStopRequest,
  toWireError,
  type JobReply,
  type JobRequest,
  type TaskReply,
  type TaskRequest,
} from './protocol.js'

function port(): MessagePort {
  if (!parentPort) throw new Error('This module must run in a worker thread.')
  return parentPort
}

/**
 * Handle the parent's messages, and end the thread when it asks
 * (STOP_REQUEST): `cleanup` runs first (close files), then the thread
 * exits from JavaScript, between two calls into native code. Every worker
 * entry receives its messages through here.
 */
export function onParentMessage<Message>(
  handle: (message: Message) => void,
  cleanup?: () => void,
): MessagePort {
  const parent = port()
  parent.on('message', (message: unknown) => {
    if (isStopRequest(message)) {
      try {
        cleanup?.()
      } finally {
        process.exit(0)
      }
    }
    handle(message as Message)
  })
  return parent
}

export interface JobContext<Progress> {
  /** Aborted when the parent cancels the job. */
  signal: AbortSignal
  progress(progress: Progress): void
}

/**
 * Serve one job: the input is this thread's workerData; the result or the
 * error goes back once. `unexpected` words an error that is not a
 * CairnError (a bug, a failing library) for the user.
 */
export function serveJob<Input, Progress, Result>(
  run: (input: Input, context: JobContext<Progress>) => Promise<Result>,
  options: { unexpected?: (message: string) => string } = {},
): void {
  const controller = new AbortController()
  const parent = onParentMessage((message: JobRequest) => {
    if (message.type === 'cancel') controller.abort()
  })
  const send = (message: JobReply<Progress, Result>) => parent.postMessage(message)
  run(workerData as Input, {
    signal: controller.signal,
    progress: (progress) => send({ type: 'progress', progress }),
  }).then(
    (result) => send({ type: 'done', result }),
    (error: unknown) => send({ type: 'error', error: toWireError(error, options.unexpected) }),
  )
}

/**
 * Serve tasks, one reply each, in the order they finish. `transfer` names
 * the buffers of a result to move rather than copy (parsed attachments).
 */
export function serveTasks<Task, Result>(
  handle: (task: Task) => Result | Promise<Result>,
  options: {
    transfer?: (result: Result) => readonly Transferable[]
    unexpected?: (message: string) => string
  } = {},
): void {
  const parent = onParentMessage(({ id, task }: TaskRequest<Task>) => {
    const reply = (message: TaskReply<Result>, transfer?: readonly Transferable[]) =>
      parent.postMessage(message, transfer as Transferable[] | undefined)
    let pending: Promise<Result>
    try {
      pending = Promise.resolve(handle(task))
    } catch (error) {
      pending = Promise.reject(error)
    }
    pending.then(
      (result) => reply({ id, ok: true, result }, options.transfer?.(result)),
      (error: unknown) => reply({ id, ok: false, error: toWireError(error, options.unexpected) }),
    )
  })
}
