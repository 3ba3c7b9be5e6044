/**
 * The classes of failure the age spec (and its conformance vectors) tell
 * apart. Callers map them to messages for the user: a damaged header, a key
 * that does not open the file, a file changed after it was written, a
 * damaged or truncated payload.
 */
export type AgeFailure = 'armor' | 'header' | 'no match' | 'hmac' | 'payload'

export class AgeError extends Error {
  override readonly name = 'AgeError'
  constructor(
    readonly failure: AgeFailure,
    message: string,
  ) {
    super(message)
  }
}

export const headerError = (message: string) => new AgeError('header', `age header: ${message}`)
export const payloadError = (message: string) => new AgeError('payload', `age payload: ${message}`)
