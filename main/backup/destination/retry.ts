import { isCairnError, type ErrorCode } from '../../shared/errors.js'

export interface RetryOptions {
  /** Attempts in all (first try included). */
  attempts?: number
  /** First delay, doubled each time, with full jitter. */
  baseDelayMs?: number
  maxDelayMs?: number
  signal?: AbortSignal
  /** Whether a failure may pass with another try. */
  retryable?: (error: unknown) => boolean
  sleep?: (ms: number) => Promise<void>
}

/** Failures that another try may get past: the network and overloaded servers, not refusals. */
const TRANSIENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'DESTINATION_UNREACHABLE',
  'DESTINATION_TIMEOUT',
  'DESTINATION_SERVER',
])

/** Tries again after a DESTINATION_TIMEOUT, whatever `attempts` allows. */
export const MAX_TIMEOUT_RETRIES = 1

export const isTransient = (error: unknown): boolean =>
  isCairnError(error) && TRANSIENT.has(error.code)

/**
 * Run `action` again after transient failures, waiting a random time up to
 * an exponentially growing bound ("full jitter"), so that many clients
 * failing together do not come back together. Only idempotent actions go
 * through here: a stream already half sent cannot be sent again.
 */
export async function withRetry<T>(
  action: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 4
  const base = options.baseDelayMs ?? 200
  const max = options.maxDelayMs ?? 10_000
  const retryable = options.retryable ?? isTransient
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  let silences = 0
  for (let attempt = 1; ; attempt++) {
    try {
      return await action()
    } catch (error) {
      if (attempt >= attempts || !retryable(error) || options.signal?.aborted) throw error
      // A time-out already waited out a whole idle deadline (a minute): one more try may meet a
      // passing stall, but four in a row made one request wait four minutes, and a listing's
      // sidecar reads, one after another, an hour.
      if (isCairnError(error, 'DESTINATION_TIMEOUT') && ++silences > MAX_TIMEOUT_RETRIES)
        throw error
      await sleep(Math.random() * Math.min(max, base * 2 ** (attempt - 1)))
    }
  }
}
