/**
 * The shape of `window.cairn` and the IPC channel names: everything the
 * preload script needs, and nothing that runs. A sandboxed preload may
 * require only `electron`, `events`, `timers` and `url`, so this file must
 * stay free of packages (zod included): it imports types only.
 */
import type { EventName, EventPayloads, Method, MethodInput, MethodOutput } from './contract.js'

export const IPC_CALL_CHANNEL = 'cairn:call'
export const IPC_EVENT_CHANNEL = 'cairn:event'

export interface CallError {
  code: string
  message: string
}

/** Every call answers with an envelope, so errors keep their code and user-facing message over any transport. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: CallError }

/**
 * What `window.cairn` is: in the app it comes from the preload script over
 * Electron IPC, in the browser build from a WebSocket client. Calls answer
 * with envelopes (an Error thrown across Electron's context bridge would
 * lose its code); renderer/api.ts turns them into values and thrown errors.
 */
export interface CairnBridge {
  invoke<M extends Method>(method: M, input: MethodInput<M>): Promise<Envelope<MethodOutput<M>>>
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void
}
