/**
 * The one API the renderer may call, whatever carries it (Electron IPC in
 * the app, a loopback WebSocket in the browser build). Every method has a
 * schema for its input, checked by the main side before any service runs;
 * outputs and events are plain JSON described by types.
 *
 * The renderer imports this file for types only.
 */
import { z } from 'zod'
import type { ImportProgress, ImportReport } from '../mail/import/import-types.js'
import type { FolderView, MessageDetail, MessagePage, SearchHit } from '../mail/types.js'

const id = z.number().int().positive()
const path = z.string().min(1).max(4096)

export const methods = {
  'app.info': z.object({}).strict(),
  'app.pickImportSources': z.object({}).strict(),
  'mail.overview': z.object({}).strict(),
  'mail.folders': z.object({}).strict(),
  'mail.list': z
    .object({
      folderId: id,
      cursor: z.object({ date: z.number().int(), id }).strict().optional(),
      offset: z.number().int().min(0).max(10_000_000).optional(),
      limit: z.number().int().min(1).max(500),
    })
    .strict(),
  'mail.search': z
    .object({ query: z.string().max(1000), limit: z.number().int().min(1).max(1000) })
    .strict(),
  'mail.get': z.object({ id }).strict(),
  'mail.setSeen': z.object({ id, seen: z.boolean() }).strict(),
  'mail.import.start': z.object({ paths: z.array(path).min(1).max(1000) }).strict(),
  'mail.import.cancel': z.object({ jobId: z.string().uuid() }).strict(),
} as const

export type Method = keyof typeof methods
export type MethodInput<M extends Method> = z.input<(typeof methods)[M]>

export interface AppInfo {
  version: string
  profileDir: string
  platform: string
  /** What the host can do beyond the contract: native file dialogs exist only in the desktop app. */
  capabilities: { nativeDialogs: boolean }
}

export interface MethodOutputs {
  'app.info': AppInfo
  'app.pickImportSources': string[] | null
  'mail.overview': { messageCount: number }
  'mail.folders': FolderView[]
  'mail.list': MessagePage
  'mail.search': SearchHit[]
  'mail.get': MessageDetail
  'mail.setSeen': null
  'mail.import.start': { jobId: string }
  'mail.import.cancel': null
}
export type MethodOutput<M extends Method> = MethodOutputs[M]

export interface EventPayloads {
  'mail.import.progress': ImportProgress & { jobId: string }
  'mail.import.finished': {
    jobId: string
    report: ImportReport | null
    error: { code: string; message: string } | null
  }
  'mail.changed': { reason: 'import' | 'flags' }
  /** A menu command (File > Import mail…) for the renderer to carry out. */
  'app.command': { command: 'import-mail' | 'find' }
}
export type EventName = keyof EventPayloads
export const eventNames: readonly EventName[] = [
  'mail.import.progress',
  'mail.import.finished',
  'mail.changed',
  'app.command',
]

/** Every call answers with an envelope, so errors keep their code and user-facing message over any transport. */
export type Envelope<T> =
  { ok: true; value: T } | { ok: false; error: { code: string; message: string } }

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

export const IPC_CALL_CHANNEL = 'cairn:call'
export const IPC_EVENT_CHANNEL = 'cairn:event'
