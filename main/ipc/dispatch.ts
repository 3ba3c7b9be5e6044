import { CairnError } from '../shared/errors.js'
import { methods, type Envelope, type Method } from './contract.js'
import type { Handlers } from './handlers.js'

/**
 * The single entry for every call from a renderer, whichever transport
 * carried it: check that the method exists and that its input matches the
 * contract, run it, and wrap the result or the error in an envelope.
 * Unexpected errors are logged and reported without internals.
 */
export async function dispatch(
  handlers: Handlers,
  method: unknown,
  input: unknown,
): Promise<Envelope<unknown>> {
  if (typeof method !== 'string' || !Object.hasOwn(methods, method)) {
    return {
      ok: false,
      error: {
        code: 'INVALID_ARGUMENT',
        message: `Unknown method ${String(method).slice(0, 100)}`,
      },
    }
  }
  const schema = methods[method as Method]
  const parsed = schema.safeParse(input ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return {
      ok: false,
      error: {
        code: 'INVALID_ARGUMENT',
        message: `Invalid input for ${method}: ${issue ? `${issue.path.join('.') || 'input'}: ${issue.message}` : 'rejected'}`,
      },
    }
  }
  try {
    const handler = handlers[method as Method] as (input: unknown) => unknown
    const value = await handler(parsed.data)
    return { ok: true, value: value ?? null }
  } catch (error) {
    if (error instanceof CairnError)
      return { ok: false, error: { code: error.code, message: error.message } }
    console.error(`[ipc] ${method} failed:`, error)
    return {
      ok: false,
      error: {
        code: 'INTERNAL',
        message: 'Something went wrong in Cairn; the details are in its log.',
      },
    }
  }
}
