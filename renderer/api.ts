import type { CairnBridge } from '../main/ipc/bridge'
import type {
  EventName,
  EventPayloads,
  Method,
  MethodInput,
  MethodOutput,
} from '../main/ipc/contract'

/** A failed call, with the main side's error code and its user-facing message. */
export class CallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'CallError'
  }
}

let bridge: CairnBridge | undefined

export function setBridge(value: CairnBridge): void {
  bridge = value
}

function current(): CairnBridge {
  if (!bridge) throw new Error('Cairn is not connected')
  return bridge
}

/** Call the main side; resolves with the value or throws a CallError. */
export async function call<M extends Method>(
  method: M,
  input: MethodInput<M>,
): Promise<MethodOutput<M>> {
  const envelope = await current().invoke(method, input)
  if (envelope.ok) return envelope.value
  throw new CallError(envelope.error.code, envelope.error.message)
}

export function on<E extends EventName>(
  event: E,
  listener: (payload: EventPayloads[E]) => void,
): () => void {
  return current().on(event, listener)
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
