import { AgeError, type AgeFailure } from '../age/errors.js'

/** A failure crossing from a pipeline worker, with what is needed to rebuild a meaningful error. */
export type WorkerFailure =
  | { kind: 'age'; failure: AgeFailure; message: string }
  | { kind: 'system'; code: string | null; message: string }

export function toWorkerFailure(error: unknown): WorkerFailure {
  if (error instanceof Error && error.name === 'AgeError') {
    return {
      kind: 'age',
      failure: (error as Error & { failure: AgeFailure }).failure,
      message: error.message,
    }
  }
  return {
    kind: 'system',
    code: (error as { code?: string } | null)?.code ?? null,
    message: error instanceof Error ? error.message : String(error),
  }
}

/** The error again on this side: an AgeError for age failures (callers explain those alike), else an Error with its errno code. */
export function fromWorkerFailure(failure: WorkerFailure): Error {
  if (failure.kind === 'age') return new AgeError(failure.failure, failure.message)
  return Object.assign(new Error(failure.message), { code: failure.code ?? undefined })
}
