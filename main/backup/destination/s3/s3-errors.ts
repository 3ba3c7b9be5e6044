import { CairnError } from '../../../shared/errors.js'
import { destinationError, networkError } from '../destination-errors.js'

interface SdkError {
  name?: string
  Code?: string
  message?: string
  $metadata?: { httpStatusCode?: number }
}

/** An S3 SDK failure as a typed error naming the destination and what to do. */
export function s3Error(label: string, error: unknown, action: string): CairnError {
  if (error instanceof CairnError) return error
  const e = (error ?? {}) as SdkError
  const code = e.Code ?? e.name ?? ''
  const status = e.$metadata?.httpStatusCode
  // Our own timer (AbortSignal.timeout) ends a request the server does not answer.
  if (
    (code === 'TimeoutError' || code === 'AbortError') &&
    /timed out|abort/i.test(e.message ?? '')
  )
    return destinationError(
      'DESTINATION_TIMEOUT',
      label,
      'the server stopped answering (timed out). Check the network, or try again later.',
      error,
    )
  // The SDK names every dropped socket a TimeoutError; only its message tells a real timeout.
  if (
    (code === 'TimeoutError' || code === 'RequestTimeout') &&
    /timed? ?out|timeout/i.test(e.message ?? '')
  )
    return destinationError(
      'DESTINATION_TIMEOUT',
      label,
      'the server stopped answering (timed out). Check the network, or try again later.',
      error,
    )
  const network = networkError(label, error)
  if (network) return network
  switch (code) {
    case 'NoSuchBucket':
      return destinationError(
        'DESTINATION_MISSING',
        label,
        'the bucket does not exist. Create it (or check its name and region), then try again.',
        error,
      )
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
    case 'InvalidToken':
    case 'ExpiredToken':
    case 'TokenRefreshRequired':
    case 'CredentialsProviderError':
      return destinationError(
        'DESTINATION_AUTH',
        label,
        `the server did not accept the credentials (${code}). Check the access key and secret (cairn destination add … --user KEY_ID --password-stdin), or AWS_ACCESS_KEY_ID / AWS_PROFILE.`,
        error,
      )
    case 'AccessDenied':
    case 'AllAccessDisabled':
    case 'AccountProblem':
      return destinationError(
        'DESTINATION_DENIED',
        label,
        `these credentials may not ${action} there (AccessDenied). Grant them s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject and s3:AbortMultipartUpload on the bucket.`,
        error,
      )
    case 'QuotaExceeded':
    case 'XMinioStorageFull':
    case 'XMinioAdminBucketQuotaExceeded':
    case 'InsufficientStorage':
    case 'EntityTooLarge':
      return destinationError(
        'DESTINATION_FULL',
        label,
        `the storage is full or over its quota (${code}). The unfinished upload was removed and older backups are untouched; free space, raise the quota or prune old backups.`,
        error,
      )
    case 'RequestTimeout':
    case 'TimeoutError':
      return destinationError(
        'DESTINATION_TIMEOUT',
        label,
        'the server stopped answering (timed out). Check the network, or try again later.',
        error,
      )
    case 'PreconditionFailed':
      return destinationError(
        'DESTINATION_CONFLICT',
        label,
        'another writer took this backup name at the same moment. Nothing was replaced; try again.',
        error,
      )
  }
  if (status === 507) {
    return destinationError(
      'DESTINATION_FULL',
      label,
      'the storage is full (507). The unfinished upload was removed; free space or prune old backups.',
      error,
    )
  }
  if (status === 401) {
    return destinationError(
      'DESTINATION_AUTH',
      label,
      'the server did not accept the credentials (401). Check the access key and secret.',
      error,
    )
  }
  if (status === 403) {
    return destinationError(
      'DESTINATION_DENIED',
      label,
      `these credentials may not ${action} there (403). Check the bucket's policy.`,
      error,
    )
  }
  if (status === 404 && action === 'list the bucket') {
    return destinationError(
      'DESTINATION_MISSING',
      label,
      'the bucket was not found. Check its name, region and the endpoint.',
      error,
    )
  }
  if (
    (status !== undefined && status >= 500) ||
    /XML|Deserialization|parse/i.test(e.message ?? '')
  ) {
    return destinationError(
      'DESTINATION_SERVER',
      label,
      `the server failed (${status ?? 'an answer that is not S3'}: ${code || 'unreadable reply'}) while Cairn tried to ${action}. Try again later; if it persists, check the endpoint is an S3-compatible service.`,
      error,
    )
  }
  return destinationError(
    'DESTINATION_SERVER',
    label,
    `the server refused to ${action} (${code || 'error'}${status ? `, HTTP ${status}` : ''}: ${(e.message ?? '').slice(0, 200)}).`,
    error,
  )
}
