import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Destination } from '../../main/backup/destination/destination'
import type { FileStore } from '../../main/backup/destination/file-store'
import { sidecarFor } from './destination-contract'
import type { startRelay } from './tcp-relay'
import { within } from './within'

type Relay = Awaited<ReturnType<typeof startRelay>>

/**
 * A backup through `relay` into a server that stops answering: after
 * `stallAfterBytes` of the upload, or (without) when `stall` is called by
 * the caller's hook (beforeCommit, or stallBefore). The failure it ended with, and how
 * long that took; the abort is awaited too (bounded as well), then the
 * relay passes traffic again.
 */
export async function backupIntoStall(
  destination: Destination,
  relay: Relay,
  options: {
    payloadBytes: number
    stallAfterBytes?: number
    /** Called once every byte is sent, just before the commit. */
    beforeCommit?: () => void
    withinMs: number
    createdAt: Date
  },
): Promise<{ error: unknown; ms: number }> {
  const payload = randomBytes(options.payloadBytes)
  const upload = await destination.startBackup(options.createdAt)
  if (options.stallAfterBytes !== undefined) relay.stallAfter(options.stallAfterBytes)
  const started = Date.now()
  try {
    const error = await within(
      pipeline(Readable.from(chunks(payload)), upload.stream)
        .then(() => {
          options.beforeCommit?.()
          return upload.commit(sidecarFor(payload))
        })
        .then(
          () => null,
          (e: unknown) => e,
        ),
      'the backup into a server that stopped answering to fail',
      options.withinMs,
    )
    const ms = Date.now() - started
    await within(upload.abort(), 'the abort after the stall', options.withinMs)
    return { error, ms }
  } finally {
    relay.restore()
  }
}

/** `store[method]` calls `stall()` first: the server stops answering exactly at that step. */
export function stallBefore<K extends 'claim' | 'create' | 'writeSmall' | 'remove' | 'read'>(
  store: FileStore,
  method: K,
  stall: () => void,
): void {
  const original = store[method].bind(store) as (...args: unknown[]) => Promise<unknown>
  ;(store as unknown as Record<K, (...args: unknown[]) => Promise<unknown>>)[method] = (
    ...args: unknown[]
  ) => {
    stall()
    return original(...args)
  }
}

/** Until `condition()` holds (within()'s deadline is the caller's). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20))
}

function* chunks(data: Buffer, size = 256 * 1024): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size)
}
