import { CairnError, describeError, isCairnError, type ErrorCode } from '../shared/errors.js'

/**
 * The messages between Cairn's threads and the code that starts them. Two
 * shapes cover every worker: a job (one input, progress, one result, a
 * cancel) and a task server (many requests, one reply each). Stream
 * workers (backup sealing and opening) keep their own messages and use
 * only WorkerThread.
 */

/** A failure as it crosses between threads: enough to rebuild the CairnError. */
export interface WireError {
  code: ErrorCode
  message: string
}

/**
 * Parent → any worker: end now, politely. A worker handles it between two
 * pieces of work, never in the middle of a native call: terminating a thread
 * while it is inside a native module (zstd) makes the module throw a C++
 * exception nobody catches, which aborts the whole process.
 */
export const STOP_REQUEST = { type: 'cairn:stop' } as const

export function isStopRequest(message: unknown): boolean {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === STOP_REQUEST.type
  )
}

/** Parent → job worker. */
export type JobRequest = { type: 'cancel' }

/** Job worker → parent. */
export type JobReply<Progress, Result> =
  | { type: 'progress'; progress: Progress }
  | { type: 'done'; result: Result }
  | { type: 'error'; error: WireError }

/** Parent → task worker. */
export interface TaskRequest<Task> {
  id: number
  task: Task
}

/** Task worker → parent. */
export type TaskReply<Result> =
  { id: number; ok: true; result: Result } | { id: number; ok: false; error: WireError }

/**
 * A thrown value ready to cross: CairnErrors keep their code and message;
 * anything else becomes INTERNAL, worded by `unexpected`.
 */
export function toWireError(
  error: unknown,
  unexpected: (message: string) => string = (message) => message,
): WireError {
  if (isCairnError(error)) return { code: error.code, message: error.message }
  return { code: 'INTERNAL', message: unexpected(describeError(error)) }
}

export function fromWireError(error: WireError): CairnError {
  return new CairnError(error.code, error.message)
}
