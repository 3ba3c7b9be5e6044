import { CairnError, type ErrorCode } from '../shared/errors.js'
import type { Envelope } from './bridge.js'
import type { ServiceContext } from './context.js'
import { contract as defaultContract } from './contract.js'
import { eventTable, methodTable, type ContractDef } from './define.js'

export type Log = (line: string) => void

/** The single entry for every call from a renderer and every event to it, whichever transport carries them. */
export interface Router {
  /** Every event name of the contract. */
  readonly eventNames: readonly string[]
  /**
   * Check that the method exists and that its input matches its schema,
   * run it, and wrap the result or the error in an envelope. A refused call
   * is logged and never reaches a service; unexpected errors are logged and
   * reported without internals.
   */
  call(method: unknown, input: unknown): Promise<Envelope<unknown>>
  /** Refuse a call the transport found wrong (a wrong sender): logged, coded, nothing run. */
  refuse(method: unknown, code: ErrorCode, message: string): Envelope<never>
  /**
   * Forward every event of every service to one connected renderer (again
   * after the profile was reopened by a restore); returns how to stop.
   */
  subscribe(send: (event: string, payload: unknown) => void): () => void
}

export function createRouter(
  ctx: ServiceContext,
  options: { transport: string; log?: Log; contract?: ContractDef },
): Router {
  const contract = options.contract ?? defaultContract
  const methods = methodTable(contract)
  const events = eventTable(contract)
  const log = options.log ?? ((line: string) => console.warn(line))

  const refuse = (method: unknown, code: ErrorCode, message: string): Envelope<never> => {
    // The method name only: inputs may hold secrets (passwords of accounts to come).
    log(
      `[ipc] refused ${JSON.stringify(String(method).slice(0, 100))} over ${options.transport}: ${code}: ${message}`,
    )
    return { ok: false, error: { code, message } }
  }

  return {
    eventNames: [...events.keys()],
    refuse,
    async call(method, input) {
      const def = typeof method === 'string' ? methods.get(method) : undefined
      if (!def)
        return refuse(
          method,
          'UNKNOWN_METHOD',
          `Cairn has no method ${String(method).slice(0, 100)}.`,
        )
      const parsed = def.input.safeParse(input ?? {})
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        const where = issue ? `${issue.path.join('.') || 'input'}: ${issue.message}` : 'rejected'
        return refuse(method, 'INVALID_ARGUMENT', `Invalid input for ${String(method)}: ${where}`)
      }
      try {
        const value = await def.handle(ctx, parsed.data)
        return { ok: true, value: value ?? null }
      } catch (error) {
        if (error instanceof CairnError)
          return { ok: false, error: { code: error.code, message: error.message } }
        console.error(`[ipc] ${String(method)} failed:`, error)
        return {
          ok: false,
          error: {
            code: 'INTERNAL',
            message: 'Something went wrong in Cairn; the details are in its log.',
          },
        }
      }
    },
    subscribe(send) {
      const subscribeAll = () =>
        [...events].map(([name, def]) => def.subscribe(ctx, (payload) => send(name, payload)))
      let offs = subscribeAll()
      // After a restore the services are new objects: the renderer's events come from them now.
      const offReopened = ctx.profileEvents.on('reopened', () => {
        offs.forEach((off) => off())
        offs = subscribeAll()
      })
      return () => {
        offReopened()
        offs.forEach((off) => off())
      }
    },
  }
}
