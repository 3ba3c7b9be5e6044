import type { S3ClientConfig } from '@aws-sdk/client-s3'
import { MAX_TIMEOUT_RETRIES } from '../retry.js'

type Strategy = Extract<NonNullable<S3ClientConfig['retryStrategy']>, { recordSuccess: unknown }>
type Token = Awaited<ReturnType<Strategy['acquireInitialRetryToken']>>
type ErrorInfo = Parameters<Strategy['refreshRetryTokenForRetry']>[1]

interface Attempts extends Token {
  /** Idle time-outs met so far by this request. */
  silences: number
}

/** The SDK's "the socket was idle too long" (socketTimeout), not other time-outs a server reports. */
function isSilence(error: unknown): boolean {
  const e = error as { name?: string; message?: string } | null
  return e?.name === 'TimeoutError' && /timed out after .* inactivity/.test(e.message ?? '')
}

/**
 * The SDK's standard retries (throttling and transient failures, up to
 * `maxAttempts`, exponential backoff with full jitter, a server's
 * Retry-After respected), except that a request the server left idle past
 * the socket time-out is tried once more only: each such failure already
 * waited a whole idle deadline, and five in a row held an UploadPart or a
 * CompleteMultipartUpload five minutes, before the backup's own retries
 * (run-backup.ts) multiplied that again. Same rule as retry.ts.
 */
export function s3RetryStrategy(maxAttempts: number): Strategy {
  const token = (count: number, delay: number, silences: number): Attempts => ({
    getRetryCount: () => count,
    getRetryDelay: () => delay,
    silences,
  })
  return {
    acquireInitialRetryToken: async () => token(0, 0, 0),
    refreshRetryTokenForRetry: async (previous: Token, info: ErrorInfo) => {
      const count = previous.getRetryCount() + 1
      const silences = (previous as Attempts).silences + (isSilence(info.error) ? 1 : 0)
      const retryable = info.errorType === 'THROTTLING' || info.errorType === 'TRANSIENT'
      // Refused: the SDK then throws the request's own error.
      if (!retryable || count >= maxAttempts || silences > MAX_TIMEOUT_RETRIES)
        throw new Error('no more retries')
      const base = info.errorType === 'THROTTLING' ? 500 : 100
      const backoff = Math.random() * Math.min(20_000, base * 2 ** count)
      const hinted = info.retryAfterHint ? info.retryAfterHint.getTime() - Date.now() : 0
      return token(count, Math.max(backoff, hinted), silences)
    },
    recordSuccess: () => undefined,
  }
}
