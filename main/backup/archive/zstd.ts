import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import type * as Binding from 'zstd-napi/binding'

// The native binding is CommonJS without named exports an ES module could import.
const binding = createRequire(import.meta.url)('zstd-napi/binding') as typeof Binding

/** zstd at level 1, as `zstd -1` writes it (so `zstd -d` reads it), compressed in zstd's own threads. */
function compressionContext(): Binding.CCtx {
  const cctx = new binding.CCtx()
  cctx.setParameter(binding.CParameter.compressionLevel, 1)
  cctx.setParameter(binding.CParameter.checksumFlag, 1)
  cctx.setParameter(binding.CParameter.nbWorkers, Math.max(1, Math.min(4, availableParallelism())))
  return cctx
}

/**
 * A synchronous zstd compressor writing into one reused output buffer:
 * `emit` receives each piece of compressed output and must consume it
 * before returning. One frame, compressed in parallel jobs by zstd's
 * worker threads.
 */
export function zstdCompressor(emit: (compressed: Buffer) => void) {
  const cctx = compressionContext()
  const out = Buffer.allocUnsafe(Math.max(binding.cStreamOutSize(), 1 << 20))
  const run = (input: Uint8Array, directive: Binding.EndDirective) => {
    let src = input
    for (;;) {
      const [remaining, produced, consumed] = cctx.compressStream2(out, src, directive)
      if (produced > 0) emit(out.subarray(0, produced))
      src = src.subarray(consumed)
      if (src.length === 0 && (directive === binding.EndDirective.continue || remaining === 0))
        return
    }
  }
  return {
    write: (input: Uint8Array) => run(input, binding.EndDirective.continue),
    end: () => run(new Uint8Array(0), binding.EndDirective.end),
  }
}

/**
 * A synchronous, resumable zstd decompressor. step() does one unit of work
 * on the queue of input buffers (consuming input, producing output, or
 * both) and returns false when it needs more input; every `outBytes` of
 * output (a fresh buffer each, which `emit` may keep) go to `emit`.
 * finish() emits the rest and fails if the input ended inside a frame.
 */
export function zstdDecompressor(outBytes: number, emit: (output: Buffer) => void) {
  const dctx = new binding.DCtx()
  let out = Buffer.allocUnsafe(outBytes)
  let fill = 0
  let inFrame = false
  let outputPending = false // the last call filled the output: zstd may hold more
  const flush = () => {
    emit(out.subarray(0, fill))
    out = Buffer.allocUnsafe(outBytes)
    fill = 0
  }
  return {
    step(input: Buffer[]): boolean {
      if (fill === out.length) {
        flush()
        return true
      }
      const src = input[0]
      if (!src && !outputPending) return false
      const [remaining, produced, consumed] = dctx.decompressStream(
        out.subarray(fill),
        src ?? EMPTY,
      )
      fill += produced
      outputPending = fill === out.length
      inFrame = remaining !== 0
      if (src) {
        if (consumed === src.length) input.shift()
        else input[0] = src.subarray(consumed)
      }
      return produced > 0 || consumed > 0 || outputPending
    },
    finish(): void {
      if (inFrame) throw new Error('zstd: the compressed data ends inside a frame (truncated)')
      if (fill > 0) flush()
    },
  }
}

const EMPTY = Buffer.alloc(0)

/** Run a zstd step; its failure is marked (code ERR_CAIRN_ZSTD) so a reader can say the compressed data is invalid. */
export function markingZstdFailure<T>(action: () => T): T {
  try {
    return action()
  } catch (error) {
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), {
      code: 'ERR_CAIRN_ZSTD',
    })
  }
}
