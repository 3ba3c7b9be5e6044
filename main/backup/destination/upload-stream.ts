import { Transform, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { StartBackupOptions } from './destination.js'
import { Throttle } from './throttle.js'

/**
 * The writable end every destination hands to the backup: it counts the
 * bytes (a commit checks them against what the server holds), limits the
 * speed when asked, and feeds `sink`. `done` settles once the sink has
 * everything; its failure is observed here too, so an upload that is
 * abandoned raises nothing of its own.
 */
export function uploadStream(
  sink: Writable,
  options: StartBackupOptions,
): { stream: Transform; done: Promise<void>; bytes: () => number } {
  let bytes = 0
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length
      callback(null, chunk)
    },
  })
  const stages: (Transform | Writable)[] = [stream]
  if (options.bandwidthLimit) stages.push(new Throttle(options.bandwidthLimit))
  stages.push(sink)
  const done = pipeline(stages as [Transform, ...Writable[]], {
    ...(options.signal ? { signal: options.signal } : {}),
  })
  done.catch(() => undefined)
  return { stream, done, bytes: () => bytes }
}
